package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of an [SMTPMailer].
const (
	SMTPTLSMandatory     = "mandatory"     // STARTTLS, or fail (the default)
	SMTPTLSOpportunistic = "opportunistic" // STARTTLS when offered
	SMTPTLSImplicit      = "implicit"      // TLS from the first byte (port 465)
	SMTPTLSNone          = "none"          // plain text: local relays and tests only
)

// SMTPConfig configures an [SMTPMailer].
type SMTPConfig struct {
	Host string
	Port int // default 587 (465 with SMTPTLSImplicit)
	// Username and Password authenticate (PLAIN, or the best mechanism
	// the server offers); none when Username is empty. The password is a
	// secret and comes from the environment, never a flag.
	Username string
	Password string
	// From is the sender address (a bare address or "Name <address>").
	From string
	// TLS is one of the SMTPTLS modes; default SMTPTLSMandatory.
	TLS string
	// Timeout bounds connecting and each command; default 15s. The
	// context given to Send bounds the whole exchange as well.
	Timeout time.Duration
	// HELO is the name sent in EHLO; default "localhost".
	HELO string
	// RootCAs are the authorities trusted for the server's certificate
	// (STARTTLS and implicit TLS); default the system's. The certificate
	// must name Host; TLS 1.2 is the least version accepted.
	RootCAs *x509.CertPool
}

// SMTPMailer sends email through an SMTP server. It opens one connection
// per message.
type SMTPMailer struct{ cfg SMTPConfig }

// NewSMTPMailer checks cfg and returns a mailer.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	if cfg.TLS == "" {
		cfg.TLS = SMTPTLSMandatory
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == SMTPTLSImplicit {
			cfg.Port = 465
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	var errs []error
	if cfg.Host == "" {
		errs = append(errs, errors.New("the host is required"))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is out of range", cfg.Port))
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("the sender %q is not an email address: %w", cfg.From, err))
	}
	switch cfg.TLS {
	case SMTPTLSMandatory, SMTPTLSOpportunistic, SMTPTLSImplicit, SMTPTLSNone:
	default:
		errs = append(errs, fmt.Errorf("TLS mode %q is unknown: use %s, %s, %s or %s", cfg.TLS,
			SMTPTLSMandatory, SMTPTLSOpportunistic, SMTPTLSImplicit, SMTPTLSNone))
	}
	if cfg.Password != "" && cfg.Username == "" {
		errs = append(errs, errors.New("a password is set without a username"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("delivery: SMTP: %w", err)
	}
	return &SMTPMailer{cfg: cfg}, nil
}

// Send sends m as a plain-text message.
func (s *SMTPMailer) Send(ctx context.Context, env string, m Email) error {
	if err := m.Check(); err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("delivery: SMTP sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("delivery: SMTP recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	conn := &ctxConn{}
	stop := context.AfterFunc(ctx, conn.close)
	defer stop()
	tlsConfig := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: s.cfg.RootCAs}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout), gomail.WithHELO(s.cfg.HELO),
		gomail.WithTLSConfig(tlsConfig), gomail.WithDialContextFunc(conn.dialer(s.cfg.TLS == SMTPTLSImplicit, tlsConfig))}
	switch s.cfg.TLS {
	case SMTPTLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case SMTPTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case SMTPTLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case SMTPTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("delivery: SMTP client for %s: %w", s.cfg.Host, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return fmt.Errorf("delivery: SMTP send through %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// ctxConn is the connection of one Send, closed when the Send's context
// ends: the SMTP client honours the context only while dialling, and then
// bounds each command by the Timeout alone, so a server that stalls or
// drips would otherwise hold a Send (and its caller's retries) long past
// the caller's deadline.
type ctxConn struct {
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// dialer dials the server, with TLS from the first byte when implicit.
// The connection returned is the *tls.Conn itself, so that the client
// knows it is encrypted.
func (c *ctxConn) dialer(implicit bool, cfg *tls.Config) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if implicit {
			conn, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, network, addr)
		} else {
			conn, err = d.DialContext(ctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			_ = conn.Close()
			return nil, net.ErrClosed
		}
		c.conn = conn
		return conn, nil
	}
}

func (c *ctxConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
	}
}
