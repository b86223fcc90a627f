package engine

import "testing"

func TestSmoke(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, example(t, "tokensbench"))
	d := run(e, m, tokensEvent)
	t.Logf("%+v", d)
	d = run(e, m, tokensEvent)
	t.Logf("%+v %+v", d, e.Stats())
}
