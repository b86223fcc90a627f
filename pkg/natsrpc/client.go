package natsrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// DefaultCallTimeout bounds a Call whose context has no deadline: every
// request has one.
const DefaultCallTimeout = 10 * time.Second

// Call sends req as JSON to subject and decodes the reply into Resp. An error
// reply comes back as *Error; no responder is CodeUnavailable; a timeout is
// CodeDeadlineExceeded.
func Call[Req, Resp any](ctx context.Context, nc *nats.Conn, subject string, req Req) (Resp, error) {
	var resp Resp
	data, err := json.Marshal(req)
	if err != nil {
		return resp, fmt.Errorf("natsrpc: encode request to %s: %w", subject, err)
	}
	out, err := CallRaw(ctx, nc, subject, data)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, fmt.Errorf("natsrpc: decode reply from %s: %w", subject, err)
	}
	return resp, nil
}

// CallRaw is Call without the JSON encoding.
func CallRaw(ctx context.Context, nc *nats.Conn, subject string, data []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	msg.Header.Set(DeadlineHeader, strconv.FormatInt(deadline.UnixNano(), 10))
	reply, err := nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		switch CodeOf(err) {
		case CodeUnavailable:
			return nil, &Error{Code: CodeUnavailable, Message: "no service answers on " + subject}
		case CodeDeadlineExceeded:
			return nil, &Error{Code: CodeDeadlineExceeded, Message: "no reply from " + subject + " before the deadline"}
		}
		return nil, fmt.Errorf("natsrpc: request %s: %w", subject, err)
	}
	if code := reply.Header.Get(micro.ErrorCodeHeader); code != "" {
		return nil, fromWire(code, reply.Header.Get(micro.ErrorHeader))
	}
	return reply.Data, nil
}
