package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// webhookHandler is the tokensbench logic as an HTTP hook in the Ory /
// Supabase model: decode the trigger request and its event, set two
// access-token claims, reply with the decision.
func webhookHandler(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Event gatehouse.TokensGenerationEvent `json:"event"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "the hook request is not valid JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	ip, _ := json.Marshal(req.Event.Request.IP)
	org, _ := json.Marshal(req.Event.Context.Organization.Code)
	d := wapi.Decision{Ran: true, FailurePolicy: "stop",
		AccessTokenClaims: map[string]json.RawMessage{"ip": ip, "org": org}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(d)
}

// webhook is a running loopback hook server and a keep-alive client.
type webhook struct {
	srv    *http.Server
	url    string
	client *http.Client
	body   []byte
}

func startWebhook() (*webhook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(webhookHandler), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tr := &http.Transport{MaxIdleConns: 4, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &webhook{srv: srv, url: "http://" + ln.Addr().String() + "/hooks/tokens",
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, body: triggerBody()}, nil
}

// call posts the trigger request and decodes the decision.
func (h *webhook) call(ctx context.Context) (wapi.Decision, error) {
	var d wapi.Decision
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(h.body))
	if err != nil {
		return d, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return d, fmt.Errorf("webhook call: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return d, fmt.Errorf("webhook answered %s: %s", resp.Status, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return d, fmt.Errorf("webhook reply: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body) // the trailing newline, so the connection is reused
	return d, nil
}

func (h *webhook) close(ctx context.Context) error {
	h.client.CloseIdleConnections()
	if err := h.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("webhook: shutdown: %w", err)
	}
	return nil
}

// measureWebhook times the hook round trip.
func measureWebhook(ctx context.Context, spec runSpec) (Latency, error) {
	h, err := startWebhook()
	if err != nil {
		return Latency{}, err
	}
	defer h.close(context.WithoutCancel(ctx))
	return measure(ctx, "webhook", spec, func() error {
		d, err := h.call(ctx)
		if err != nil {
			return err
		}
		return checkClaims(d)
	})
}
