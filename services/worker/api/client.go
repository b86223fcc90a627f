package api

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Client fires triggers on behalf of the frontdoor. It caches which triggers
// have a live workflow in each environment, so a trigger with none costs no
// round trip; the cache is dropped whenever the deployments service announces
// a change.
type Client struct {
	nc  *nats.Conn
	sub *nats.Subscription

	mu   sync.RWMutex
	gen  uint64
	envs map[string]liveSet
}

// liveSet is one environment's live triggers. The change event drops it at
// once; the expiry is the safety net for a missed event.
type liveSet struct {
	triggers map[abi.Trigger]dapi.LiveTrigger
	expires  time.Time
}

// liveTTL bounds how long a live-trigger list is trusted without an event.
const liveTTL = 30 * time.Second

// NewClient subscribes to deployment changes.
func NewClient(nc *nats.Conn) (*Client, error) {
	c := &Client{nc: nc, envs: map[string]liveSet{}}
	sub, err := nc.Subscribe(dapi.EventChanged, func(m *nats.Msg) {
		var ch dapi.Change
		if json.Unmarshal(m.Data, &ch) != nil {
			ch = dapi.Change{} // unreadable: drop everything
		}
		c.mu.Lock()
		c.gen++
		if ch.Env == "" {
			clear(c.envs)
		} else {
			delete(c.envs, ch.Env)
		}
		c.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("trigger client: subscribe %s: %w", dapi.EventChanged, err)
	}
	c.sub = sub
	return c, nil
}

// Close stops listening for changes.
func (c *Client) Close() error { return c.sub.Unsubscribe() }

// Live reports whether env has a live workflow for t, and its failure policy.
func (c *Client) Live(ctx context.Context, env string, t abi.Trigger) (dapi.LiveTrigger, bool, error) {
	c.mu.RLock()
	set, ok := c.envs[env]
	gen := c.gen
	c.mu.RUnlock()
	triggers := set.triggers
	if !ok || time.Now().After(set.expires) {
		resp, err := natsrpc.Call[dapi.LiveTriggersRequest, dapi.LiveTriggersResponse](ctx, c.nc,
			dapi.SubjectLiveTriggers, dapi.LiveTriggersRequest{Env: env})
		if err != nil {
			return dapi.LiveTrigger{}, false, fmt.Errorf("list live workflows of %s: %w", env, err)
		}
		triggers = make(map[abi.Trigger]dapi.LiveTrigger, len(resp.Triggers))
		for _, lt := range resp.Triggers {
			triggers[lt.Trigger] = lt
		}
		c.mu.Lock()
		if c.gen == gen {
			c.envs[env] = liveSet{triggers: triggers, expires: time.Now().Add(liveTTL)}
		}
		c.mu.Unlock()
	}
	lt, ok := triggers[t]
	return lt, ok, nil
}

// Fire runs the workflow for trigger t in env on event and returns its
// decision. previewID, when set, names a deployment the frontdoor has already
// authorised with its preview password; it runs instead of the live one.
//
// Fire fails closed: when no worker answers or the deadline passes, the
// decision carries an error and the failure policy of the live workflow
// ("stop" when unknown), so the caller applies the same rule as for a
// workflow error.
func (c *Client) Fire(ctx context.Context, env string, t abi.Trigger, event json.RawMessage, previewID string) (Decision, error) {
	policy := abi.FailureStop
	if previewID == "" {
		lt, ok, err := c.Live(ctx, env, t)
		if err != nil {
			return Decision{Ran: false, FailurePolicy: policy, Error: &ExecError{Code: ErrCodeUnavailable, Message: err.Error()}}, nil
		}
		if !ok {
			return Decision{Ran: false}, nil
		}
		if lt.FailurePolicy != "" {
			policy = lt.FailurePolicy
		}
	}
	body, err := triggerBody(event, previewID)
	if err != nil {
		return Decision{}, fmt.Errorf("encode %s trigger: %w", t, err)
	}
	out, err := natsrpc.CallRaw(ctx, c.nc, Subject(env, t), body)
	if err != nil {
		code := ErrCodeUnavailable
		switch natsrpc.CodeOf(err) {
		case natsrpc.CodeDeadlineExceeded:
			code = ErrCodeTimeout
		case natsrpc.CodeOverloaded:
			code = ErrCodeShed
		case natsrpc.CodeInvalidArgument:
			code = ErrCodeInvalidEvent
		}
		return Decision{Ran: false, FailurePolicy: policy, Error: &ExecError{Code: code, Message: err.Error()}}, nil
	}
	var d Decision
	if err := json.Unmarshal(out, &d); err != nil {
		return Decision{Ran: false, FailurePolicy: policy, Error: &ExecError{Code: ErrCodeInternal, Message: "undecodable decision: " + err.Error()}}, nil
	}
	return d, nil
}

// triggerBody writes a TriggerRequest without re-validating the event: the
// worker checks it, and answers a malformed one with invalid_argument.
func triggerBody(event json.RawMessage, previewID string) ([]byte, error) {
	if len(event) == 0 {
		return nil, fmt.Errorf("the event is empty")
	}
	b := make([]byte, 0, len(event)+64)
	b = append(b, `{"event":`...)
	b = append(b, event...)
	if previewID != "" {
		id, err := json.Marshal(previewID)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"deploymentId":`...)
		b = append(b, id...)
	}
	return append(b, '}'), nil
}
