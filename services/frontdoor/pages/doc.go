// Package pages renders the frontdoor's hosted pages: sign-in, sign-out
// confirmation and the message page used for errors and notices. They are
// server-rendered with html/template (every value is escaped for its
// context), need no JavaScript, label every field for assistive
// technology, and tie each field's error message to the field with
// aria-describedby.
//
// Every response carries headers that keep the pages out of caches and
// frames and forbid scripts: Cache-Control no-store,
// Content-Security-Policy (no scripts, no framing) and Referrer-Policy
// no-referrer.
package pages
