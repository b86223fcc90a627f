package identity_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// BenchmarkHashPassword measures one argon2id hash with the default
// parameters and with the alternatives they were chosen against. Run it
// with -benchmem; B/op shows the memory cost.
func BenchmarkHashPassword(b *testing.B) {
	for _, c := range []struct {
		name string
		p    identity.Argon2Params
	}{
		{"default", identity.DefaultArgon2Params},
		{"owasp_m19MiB_t2_p1", identity.Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"owasp_m46MiB_t1_p1", identity.Argon2Params{Memory: 46 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"m64MiB_t1_p1", identity.Argon2Params{Memory: 64 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"rfc9106_m64MiB_t3_p4", identity.Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}},
	} {
		b.Run(fmt.Sprintf("%s_m%dKiB_t%d_p%d", c.name, c.p.Memory, c.p.Time, c.p.Threads), func(b *testing.B) {
			h, err := identity.NewPasswordHasher(c.p, 1)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for b.Loop() {
				if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
