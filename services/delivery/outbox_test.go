package delivery

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOutbox(t *testing.T) {
	o := NewOutbox(2)
	ctx := context.Background()
	for _, bad := range []Email{{To: "not an address", Subject: "s"}, {To: "a@example.com"},
		{To: "a@example.com", Subject: "two\r\nBcc: x@example.com"},
		// A comment or display name would carry a line break into the To
		// header: only a bare address is accepted.
		{To: "a@example.com (x\r\nBcc: evil@example.com)", Subject: "s"},
		{To: "Eve <a@example.com>", Subject: "s"}} {
		if err := o.Send(ctx, "default", bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, s := range []string{"first", "second", "third <b>"} {
		if err := o.Send(ctx, "default", Email{To: "a@example.com", Subject: s, Text: "link https://x/?a=1&b=2"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := o.Messages()
	if len(msgs) != 2 || msgs[0].Subject != "third <b>" || msgs[1].Subject != "second" {
		t.Fatalf("messages %+v", msgs)
	}
	srv := httptest.NewServer(o)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if !strings.Contains(page, "third &lt;b&gt;") || strings.Contains(page, "<b>") || strings.Contains(page, "<h2>first</h2>") ||
		!strings.Contains(page, "https://x/?a=1&amp;b=2") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("page:\n%s", page)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := o.Send(cancelled, "default", Email{To: "a@example.com", Subject: "late"}); err == nil {
		t.Error("sent with a cancelled context")
	}
}

func TestOutboxKeepsSMS(t *testing.T) {
	o := NewOutbox(10)
	ctx := context.Background()
	if err := o.SendSMS(ctx, "default", SMS{To: "5551234567", Body: "x"}); err == nil {
		t.Error("an SMS to a number not in E.164 was kept")
	}
	if err := o.SendSMS(ctx, "default", SMS{To: "+15551234567", Body: "Your code is 123456"}); err != nil {
		t.Fatal(err)
	}
	msgs := o.Messages()
	if len(msgs) != 1 || msgs[0].Channel != "sms" || msgs[0].To != "+15551234567" || msgs[0].Text != "Your code is 123456" {
		t.Fatalf("messages %+v", msgs)
	}
	rec := httptest.NewRecorder()
	o.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if page := rec.Body.String(); !strings.Contains(page, "<h2>Text message</h2>") || !strings.Contains(page, "sms to") {
		t.Fatalf("page:\n%s", page)
	}
}
