package securefetch

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The fixed vector was computed with OpenSSL's AES-256-GCM (through Python's
// cryptography package), not with this package: key bytes 0..31, nonce
// "gatehouse-12", body nonce ‖ tag ‖ ciphertext in unpadded base64url.
const (
	vectorKey   = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	vectorPlain = `{"email":"hello@example.com","password":"someSecurePassword"}`
	vectorBody  = "Z2F0ZWhvdXNlLTEyc21868f8jU9MUlIoNmUY9q0OdG7DWBGCm1kWWv9BK9dLiFhIYuUhajXtpfjE6zsCquoPL9BrblZj-N0dJr0ixDxdzp-amkklfTXGWCY"
)

func TestFixedVector(t *testing.T) {
	key, err := ParseKey(vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(key, vectorBody)
	if err != nil || string(got) != vectorPlain {
		t.Fatalf("Decrypt(vector) = %q, %v", got, err)
	}
	body, err := EncryptWithNonce(key, []byte("gatehouse-12"), []byte(vectorPlain))
	if err != nil || body != vectorBody {
		t.Fatalf("EncryptWithNonce = %q, %v; want the vector", body, err)
	}
}

func TestRoundTripUsesFreshNonces(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Encrypt(key, []byte("same"))
	b, _ := Encrypt(key, []byte("same"))
	if a == b {
		t.Fatal("two encryptions of the same body are equal: the nonce is not random")
	}
	for _, body := range []string{a, b, a + "==", " " + b + "\n"} {
		if got, err := Decrypt(key, body); err != nil || string(got) != "same" {
			t.Fatalf("Decrypt(%q) = %q, %v", body, got, err)
		}
	}
}

func TestMalformedBodiesGetOneClearError(t *testing.T) {
	key, _ := ParseKey(vectorKey)
	other, _ := NewKey()
	altered := []byte(vectorBody)
	altered[40] ^= 1
	for name, c := range map[string]struct {
		key  []byte
		body string
	}{
		"wrong key":        {other, vectorBody},
		"altered":          {key, string(altered)},
		"truncated":        {key, vectorBody[:30]},
		"empty":            {key, ""},
		"not base64":       {key, "%%%not base64%%%"},
		"tag only":         {key, vectorBody[:37]},
		"ciphertext moved": {key, vectorBody[16:] + vectorBody[:16]},
	} {
		got, err := Decrypt(c.key, c.body)
		if !errors.Is(err, ErrDecrypt) || got != nil {
			t.Errorf("%s: got %q, %v; want ErrDecrypt", name, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "someSecure") {
			t.Errorf("%s: the error leaks plaintext", name)
		}
	}
	if _, err := Decrypt([]byte("short"), vectorBody); err == nil || errors.Is(err, ErrDecrypt) {
		t.Errorf("a short key: %v", err)
	}
}

func TestParseKeyFormats(t *testing.T) {
	want, _ := ParseKey(vectorKey)
	for _, s := range []string{
		vectorKey,
		vectorKey + "=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"  " + vectorKey + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "too short", strings.Repeat("A", 60)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if FormatKey(want) != vectorKey {
		t.Errorf("FormatKey = %q", FormatKey(want))
	}
}

func ExampleDecrypt() {
	key, _ := ParseKey(vectorKey) // the value shown when the key was created
	body, err := Decrypt(key, vectorBody)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(body[:29]))
	// Output: {"email":"hello@example.com",
}
