// Package delivery sends messages to people: email for password resets and
// one-time codes, SMS for one-time codes. [Mailer] and [SMSSender] are what
// senders need; [SMTPMailer] sends email through an SMTP server and
// [TwilioSender] sends SMS through Twilio's Messages API (or a provider
// speaking it). [Outbox] is the development mailer and SMS sender, which
// keeps messages in memory and lists them on a page instead of sending them.
// It is never used in production mode.
package delivery
