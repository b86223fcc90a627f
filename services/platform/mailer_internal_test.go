package platform

import (
	"io"
	"log/slog"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/services/delivery"
)

// TestFrontdoorMailer: the frontdoor's email goes to the outbox in
// development and to the SMTP server in production; without one there is
// no mailer (and so no reset links).
func TestFrontdoorMailer(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		want string // "outbox", "smtp" or "none"
	}{
		{"development", func(c *Config) {}, "outbox"},
		{"production with SMTP", func(c *Config) {
			c.Mode, c.SMTPHost, c.SMTPFrom, c.SMTPUsername, c.SMTPPassword = ModeProduction, "smtp.example.com", "id@example.com", "id", "secret"
		}, "smtp"},
		{"production without SMTP", func(c *Config) { c.Mode = ModeProduction }, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.cfg(&cfg)
			p := &Platform{cfg: cfg, log: quiet, router: chi.NewRouter()}
			m, err := p.frontdoorMailer()
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			switch m.(type) {
			case *delivery.Outbox:
				got = "outbox"
			case *delivery.SMTPMailer:
				got = "smtp"
			}
			if got != tc.want || (tc.want == "none" && m != nil) {
				t.Fatalf("mailer %T, want %s", m, tc.want)
			}
		})
	}
}
