// Package smtptest is a real SMTP server on loopback (emersion/go-smtp)
// that keeps what it receives, for the tests of anything that sends email:
// an independent implementation of the protocol, not a fake of our
// mailer. It is imported by tests only.
package smtptest
