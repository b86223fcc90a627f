package delivery

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/delivery/smtptest"
)

// TestSMTPMailerSendIsBoundedByItsContext: a server that greets and then
// never answers holds a Send only until the caller's context ends, not for
// the per-command Timeout.
func TestSMTPMailerSendIsBoundedByItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte("220 localhost ESMTP\r\n"))
				r := bufio.NewReader(c)
				for { // read and never answer
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
				}
			}()
		}
	}()
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: SMTPTLSNone,
		From: "no-reply@gatehouse.example.test", Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"})
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Send took %v against a stalled server with a 300ms context", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send against a stalled server: %v, want the context's deadline", err)
	}
}

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gatehouse test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestSMTPMailerVerifiesTheServerCertificate: STARTTLS (the default) and
// implicit TLS refuse a certificate no trusted authority signed, and
// deliver, with the password, once RootCAs trusts it.
func TestSMTPMailerVerifiesTheServerCertificate(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, mode := range []string{SMTPTLSMandatory, SMTPTLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{User: "relay", Password: "relay-password",
				TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, Implicit: mode == SMTPTLSImplicit})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cfg := SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: mode, Username: "relay", Password: "relay-password",
				From: "no-reply@gatehouse.example.test", Timeout: 5 * time.Second}
			untrusting, err := NewSMTPMailer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var unknown x509.UnknownAuthorityError
			if err := untrusting.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); !errors.As(err, &unknown) {
				t.Fatalf("a self-signed server certificate: %v, want an unknown authority error", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Fatalf("%d messages delivered to an untrusted server", n)
			}
			cfg.RootCAs = pool
			trusting, err := NewSMTPMailer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := trusting.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); err != nil {
				t.Fatalf("a trusted server certificate: %v", err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].User != "relay" {
				t.Fatalf("server received %+v", got)
			}
		})
	}
}
