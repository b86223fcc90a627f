package delivery

import (
	"context"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// Message is a message kept by the [Outbox].
type Message struct {
	Env     string
	Channel string // "email" or "sms"
	To      string
	Subject string
	Text    string
	SentAt  time.Time
}

// Outbox is the development [Mailer] and [SMSSender]: it keeps the last
// messages in memory and serves them as a page ([Outbox.ServeHTTP]) so
// that links and codes can be followed without a mail server or an SMS
// provider. Nothing leaves the process.
type Outbox struct {
	mu   sync.Mutex
	max  int
	msgs []Message // oldest first
	now  func() time.Time
}

// NewOutbox returns an outbox keeping the last max messages (100 if max
// is not positive).
func NewOutbox(max int) *Outbox {
	if max <= 0 {
		max = 100
	}
	return &Outbox{max: max, now: time.Now}
}

// Send keeps m.
func (o *Outbox) Send(ctx context.Context, env string, m Email) error {
	if err := m.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o.keep(Message{Env: env, Channel: "email", To: m.To, Subject: m.Subject, Text: m.Text})
	return nil
}

// SendSMS keeps m.
func (o *Outbox) SendSMS(ctx context.Context, env string, m SMS) error {
	if err := m.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o.keep(Message{Env: env, Channel: "sms", To: m.To, Text: m.Body})
	return nil
}

func (o *Outbox) keep(m Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m.SentAt = o.now()
	o.msgs = append(o.msgs, m)
	if len(o.msgs) > o.max {
		o.msgs = append([]Message(nil), o.msgs[len(o.msgs)-o.max:]...)
	}
}

// Messages returns the messages kept, newest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, len(o.msgs))
	for i, m := range o.msgs {
		out[len(o.msgs)-1-i] = m
	}
	return out
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development outbox</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1c1e21;margin:0}
main{max-width:48rem;margin:2rem auto;padding:0 1rem}
article{background:#fff;padding:1rem 1.5rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);margin-bottom:1rem}
pre{white-space:pre-wrap;word-break:break-all}
.meta{color:#4a4f57}
</style></head>
<body><main>
<h1>Development outbox</h1>
<p>Messages Gatehouse would have sent, newest first. This page exists only in development mode; nothing here was delivered.</p>
{{range .}}<article>
<h2>{{if .Subject}}{{.Subject}}{{else}}Text message{{end}}</h2>
<p class="meta">{{.Channel}} to <strong class="to">{{.To}}</strong> · environment {{.Env}} · {{.SentAt.Format "2006-01-02 15:04:05 MST"}}</p>
<pre class="text">{{.Text}}</pre>
</article>
{{else}}<p>No messages yet.</p>
{{end}}</main></body></html>
`))

// ServeHTTP lists the messages. It must be routed in development mode
// only: the messages carry live reset links.
func (o *Outbox) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_ = outboxPage.Execute(w, o.Messages())
}
