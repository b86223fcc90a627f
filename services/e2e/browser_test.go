package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium names the browser binary to use instead of the one found on
// the PATH.
const EnvChromium = "GATEHOUSE_CHROMIUM"

// Time limits of the browser. Every step is bounded, so a page that never
// comes fails the test in seconds, with a screenshot, instead of hanging it.
const (
	launchTimeout   = 30 * time.Second
	stepTimeout     = 15 * time.Second
	evidenceTimeout = 5 * time.Second
)

// chromiumNames are the programs looked up on the PATH, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// findChromium returns the browser binary: $GATEHOUSE_CHROMIUM, or the
// first of chromiumNames on the PATH. It fails the test when there is none:
// the browser is part of what the test suite needs, as PostgreSQL is.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		abs, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("$%s is %q, which is not an executable browser: %v", EnvChromium, p, err)
		}
		return abs
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("no Chromium found: none of %s is on the PATH. Install Debian's chromium package "+
		"(`make test` does: apt-get install chromium) or set $%s to a Chromium or Chrome binary",
		strings.Join(chromiumNames, ", "), EnvChromium)
	return ""
}

// browser is one headless Chromium with one tab, a fresh profile and no
// network access beyond what the pages ask for.
type browser struct {
	t      *testing.T
	ctx    context.Context // the tab; no deadline of its own
	out    *syncBuffer     // the browser's stdout and stderr
	stack  *stack          // whose log goes with a failure's evidence
	failed int             // failures recorded, to name evidence files
}

// newBrowser starts Chromium for the test and closes it when the test ends.
func newBrowser(t *testing.T, s *stack) *browser {
	t.Helper()
	path := findChromium(t)
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
		chromedp.WindowSize(1280, 900),
		// The flags this network needs: headless, no sandbox (CI runs as
		// root), no GPU, and nothing that reaches out to the internet on
		// its own (QUIC probes, component and sync updates, first-run
		// pages), which would only slow the browser down here.
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)

	// The first call starts the browser and binds it to ctx, so it runs
	// without a deadline and the launch is bounded from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium %s: %v\nits output:\n%s", path, err, out.Bytes())
		}
	case <-time.After(launchTimeout):
		cancelTab()
		t.Fatalf("Chromium %s did not start within %v; its output:\n%s", path, launchTimeout, out.Bytes())
	}
	return &browser{t: t, ctx: ctx, out: out, stack: s}
}

// do runs the actions of one step within stepTimeout, and fails the test
// with the page's evidence when they fail.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, actions...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("not done within %v: %w", stepTimeout, err)
		}
		b.fatalf("%s: %v", step, err)
	}
	b.t.Logf("%s: %v", step, time.Since(start).Round(time.Millisecond))
}

// load runs the actions of one step, which must navigate (open an address,
// follow a link, submit a form), and waits for the page that the browser
// lands on after any redirects. It fails the test unless that page's status
// is 200 OK.
func (b *browser) load(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	start := time.Now()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no page loaded within %v: %w", stepTimeout, err)
		}
		b.fatalf("%s: %v", step, err)
	}
	if resp == nil {
		b.fatalf("%s: the page loaded without an HTTP response", step)
	}
	if resp.Status != http.StatusOK {
		b.fatalf("%s: %s answered %d %s:\n%s", step, resp.URL, resp.Status, resp.StatusText, b.bodyText())
	}
	b.t.Logf("%s: %v", step, time.Since(start).Round(time.Millisecond))
}

// click follows the link or presses the button that the XPath expression
// finds, and waits for the page it leads to, as load does. It fails at once
// when the page has no such element.
func (b *browser) click(step, xpath string) {
	b.t.Helper()
	if b.count(xpath) == 0 {
		b.fatalf("%s: the page has no element %s to click", step, xpath)
	}
	b.load(step, chromedp.Click(chromedp.Search(xpath)))
}

// count returns how many elements the XPath expression finds in the page.
func (b *browser) count(xpath string) int {
	b.t.Helper()
	q, err := json.Marshal(xpath)
	if err != nil {
		b.t.Fatalf("encode %q: %v", xpath, err)
	}
	return run(b, "count "+xpath, chromedp.Evaluate[int](
		`document.evaluate("count(" + `+string(q)+` + ")", document, null, XPathResult.NUMBER_TYPE, null).numberValue`))
}

// bodyText returns the page's visible text, cut to a length that reads
// well in a failure message. It goes into failure messages, so it reports
// its own failure in the text rather than failing the test.
func (b *browser) bodyText() string {
	const limit = 2000
	ctx, cancel := context.WithTimeout(b.ctx, evidenceTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(the page's text could not be read: %v)", err)
	}
	if len(text) > limit {
		text = strings.ToValidUTF8(text[:limit], "") + "…"
	}
	return text
}

// run runs one action that reads a value within stepTimeout.
func run[T any](b *browser, step string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fatalf("%s: %v", step, err)
	}
	return v
}

// location returns the address of the page the tab shows.
func (b *browser) location() string {
	b.t.Helper()
	return run(b, "read the page's address", chromedp.Location())
}

// visibleText returns the text of the element that sel finds, as the page
// shows it (innerText).
func (b *browser) visibleText(sel chromedp.CSS) string {
	b.t.Helper()
	return run(b, fmt.Sprintf("read the text of %s", sel), chromedp.Text(sel, chromedp.NodeVisible))
}

// fatalf fails the test after saving the evidence of the page: a
// screenshot, its HTML, the browser's output and the platform's log.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.t.Fatalf("%s\n%s", msg, b.saveEvidence())
}

// saveEvidence writes what the tab shows into a directory that outlives
// the test and returns a description naming the files.
func (b *browser) saveEvidence() string {
	b.failed++
	dir, err := b.evidenceDir()
	if err != nil {
		return fmt.Sprintf("no evidence saved: %v", err)
	}
	prefix := filepath.Join(dir, fmt.Sprintf("failure-%d", b.failed))
	ctx, cancel := context.WithTimeout(b.ctx, evidenceTimeout)
	defer cancel()
	var lines []string
	if u, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		lines = append(lines, "page: "+u)
	}
	save := func(what, file string, data []byte, err error) {
		if err == nil {
			err = os.WriteFile(file, data, 0o644)
		}
		if err != nil {
			lines = append(lines, fmt.Sprintf("%s: not saved: %v", what, err))
			return
		}
		lines = append(lines, fmt.Sprintf("%s: %s", what, file))
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	save("screenshot", prefix+".png", png, err)
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	save("page HTML", prefix+".html", []byte(html), err)
	save("browser output", prefix+"-chromium.log", b.out.Bytes(), nil)
	if b.stack != nil {
		save("platform log", prefix+"-platform.log", b.stack.log.Bytes(), nil)
	}
	return strings.Join(lines, "\n")
}

// evidenceDir is the test's artifact directory when go test runs with
// -artifacts, and otherwise a new directory under the system's temporary
// directory that is kept after the test (t.TempDir is removed with it).
func (b *browser) evidenceDir() (string, error) {
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return b.t.ArtifactDir(), nil
	}
	name := []byte(b.t.Name())
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			name[i] = '_'
		}
	}
	if len(name) > 60 {
		name = name[:60]
	}
	return os.MkdirTemp("", "gatehouse-e2e-"+string(name)+"-")
}
