// Package delivery sends messages to people: email for password resets
// (and, later, one-time codes). [Mailer] is what senders need;
// [Outbox] is the development mailer, which keeps messages in memory and
// lists them on a page instead of sending them. It is never used in
// production mode.
package delivery
