package frontdoor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// jwksTTL bounds how long a JWK Set is served from memory without a change
// event: the safety net for a missed event.
const jwksTTL = 5 * time.Minute

// jwksCache keeps each environment's JWK Set as the tokens service last
// returned it. A keys-changed event drops the environment's entry.
type jwksCache struct {
	nc  *nats.Conn
	sub *nats.Subscription

	mu  sync.Mutex
	gen uint64
	m   map[string]jwksEntry
}

type jwksEntry struct {
	body    []byte
	fetched time.Time
}

func newJWKSCache(nc *nats.Conn) (*jwksCache, error) {
	c := &jwksCache{nc: nc, m: map[string]jwksEntry{}}
	sub, err := nc.Subscribe(tapi.EventKeysChanged, func(msg *nats.Msg) {
		var ch tapi.KeysChanged
		_ = json.Unmarshal(msg.Data, &ch)
		c.mu.Lock()
		c.gen++
		if ch.Env == "" {
			clear(c.m)
		} else {
			delete(c.m, ch.Env)
		}
		c.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", tapi.EventKeysChanged, err)
	}
	c.sub = sub
	return c, nil
}

func (c *jwksCache) close() error { return c.sub.Unsubscribe() }

// get returns the JSON of env's JWK Set.
func (c *jwksCache) get(ctx context.Context, env string) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.m[env]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < jwksTTL {
		return e.body, nil
	}
	set, err := natsrpc.Call[tapi.JWKSRequest, tapi.JWKS](ctx, c.nc, tapi.SubjectJWKS, tapi.JWKSRequest{Env: env})
	if err != nil {
		return nil, fmt.Errorf("get the signing keys of %s: %w", env, err)
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode the signing keys of %s: %w", env, err)
	}
	c.mu.Lock()
	if c.gen == gen {
		c.m[env] = jwksEntry{body: body, fetched: time.Now()}
	}
	c.mu.Unlock()
	return body, nil
}

// serveJWKS serves GET /.well-known/jwks.json.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	body, err := s.jwks.get(r.Context(), envOf(r.Context()))
	if err != nil {
		s.log.ErrorContext(r.Context(), "serve JWKS", "error", err)
		http.Error(w, "the signing keys are unavailable; try again", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
}
