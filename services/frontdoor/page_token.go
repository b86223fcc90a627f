package frontdoor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// pageToken binds values that a page hands to its next request (a factor
// being set up, a challenge just sent) to the session that made them, for
// one purpose and until expires. It is an HMAC-SHA-256 keyed with the
// session's cookie secret, which only the browser's cookie and the server
// side of the request hold: a token made for one session, one factor or
// one purpose is refused for any other, and a value the page did not make
// has no token. The form, not the server, carries it: nothing is stored.
func pageToken(sessionSecret, purpose string, expires time.Time, values ...string) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(sessionSecret))
	for _, v := range append([]string{purpose, exp}, values...) {
		// Length-prefixed: no two lists of values write the same bytes.
		_ = binary.Write(mac, binary.BigEndian, uint32(len(v)))
		mac.Write([]byte(v))
	}
	return exp + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkPageToken reports whether token is the pageToken of values for
// purpose in the session of sessionSecret, not expired at now.
func checkPageToken(token, sessionSecret, purpose string, now time.Time, values ...string) bool {
	exp, _, ok := strings.Cut(token, ".")
	if !ok || sessionSecret == "" {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(n, 0)) {
		return false
	}
	return hmac.Equal([]byte(token), []byte(pageToken(sessionSecret, purpose, time.Unix(n, 0), values...)))
}
