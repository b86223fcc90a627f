package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// twilioRequest is one request the loopback provider received.
type twilioRequest struct {
	path, user, password, to, from, body string
}

func TestTwilioSenderPostsTheMessage(t *testing.T) {
	var mu sync.Mutex
	var got []twilioRequest
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, _ := r.BasicAuth()
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, twilioRequest{path: r.URL.Path, user: user, password: password,
			to: r.PostForm.Get("To"), from: r.PostForm.Get("From"), body: r.PostForm.Get("Body")})
		f := fail
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if f {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"code": 20429, "message": "Too Many Requests"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid": "SM123", "status": "queued"}`))
	}))
	defer srv.Close()

	s, err := NewTwilioSender(TwilioConfig{BaseURL: srv.URL + "/", AccountSID: "AC123", AuthToken: "token", From: "+15550000000"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.SendSMS(ctx, "production", SMS{To: "+15551234567", Body: "Your code is 123456"}); err != nil {
		t.Fatal(err)
	}
	want := twilioRequest{path: "/2010-04-01/Accounts/AC123/Messages.json", user: "AC123", password: "token",
		to: "+15551234567", from: "+15550000000", body: "Your code is 123456"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("provider received %+v, want %+v", got, want)
	}

	mu.Lock()
	fail = true
	mu.Unlock()
	err = s.SendSMS(ctx, "production", SMS{To: "+15551234567", Body: "Your code is 654321"})
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "Too Many Requests") ||
		strings.Contains(err.Error(), "654321") {
		t.Fatalf("provider failure: %v", err)
	}
	for _, bad := range []SMS{{To: "1234567890", Body: "x"}, {To: "+1 (555) 123-4567", Body: "x"}, {To: "+15551234567"}} {
		if err := s.SendSMS(ctx, "production", bad); err == nil {
			t.Errorf("%+v sent", bad)
		}
	}
	if len(got) != 2 {
		t.Fatalf("provider received %d requests; invalid messages must not be posted", len(got))
	}
}

func TestValidPhoneNumber(t *testing.T) {
	for _, ok := range []string{"+15551234567", "+442071838750", "+12"} {
		if !ValidPhoneNumber(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"1234567890", "+1 (555) 123-4567", "+1-555-123-4567", "+0123456", "+1234567890123456", "+", "", "+1555123456x"} {
		if ValidPhoneNumber(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewTwilioSenderChecksItsConfig(t *testing.T) {
	for _, c := range []TwilioConfig{
		{AuthToken: "t", From: "+1555"},
		{AccountSID: "AC1", From: "+1555"},
		{AccountSID: "AC1", AuthToken: "t"},
		{BaseURL: "ftp://x", AccountSID: "AC1", AuthToken: "t", From: "+1555"},
		{AccountSID: "AC/1", AuthToken: "t", From: "+1555"},
	} {
		if _, err := NewTwilioSender(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestTwilioSenderRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	for _, u := range []string{"http://api.twilio.example", "http://10.0.0.7:8080", "http://[2001:db8::1]"} {
		if _, err := NewTwilioSender(TwilioConfig{BaseURL: u, AccountSID: "AC1", AuthToken: "t", From: "+1555"}); err == nil ||
			!strings.Contains(err.Error(), "https") {
			t.Errorf("%s: %v, want a refusal asking for https", u, err)
		}
	}
	for _, u := range []string{"https://api.twilio.example", "http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:9"} {
		if _, err := NewTwilioSender(TwilioConfig{BaseURL: u, AccountSID: "AC1", AuthToken: "t", From: "+1555"}); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}

// TestTwilioSenderDoesNotFollowRedirects: following a 307 would re-send
// the form, code included, wherever the answer points.
func TestTwilioSenderDoesNotFollowRedirects(t *testing.T) {
	var mu sync.Mutex
	elsewhere := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	own := &http.Client{Timeout: 5 * time.Second}
	for _, client := range []*http.Client{nil, own} {
		s, err := NewTwilioSender(TwilioConfig{BaseURL: srv.URL, AccountSID: "AC1", AuthToken: "t", From: "+15550000000", Client: client})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SendSMS(ctx, "production", SMS{To: "+15551234567", Body: "Your code is 123456"}); err == nil || !strings.Contains(err.Error(), "307") {
			t.Fatalf("a redirect: %v, want an error naming the 307", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if elsewhere != 0 {
		t.Fatalf("the redirect was followed %d times", elsewhere)
	}
	if own.CheckRedirect != nil {
		t.Fatal("the caller's client was changed")
	}
}
