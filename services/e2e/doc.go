// Package e2e holds the end-to-end tests that drive the whole platform
// through a real browser: headless Chromium, steered over the DevTools
// protocol with chromedp, signs up and signs in at the hosted pages of the
// frontdoor on behalf of the development demo's relying party, sets up an
// authenticator app on the hosted MFA pages (reading the key off the page
// and computing its codes), and reads the claims of the live demo workflow
// and the tokens' amr and acr off the demo page.
//
// The tests need Chromium: Debian's chromium package at /usr/bin/chromium
// (`make test` installs it when it is missing), or the binary named by
// $GATEHOUSE_CHROMIUM. Without a browser they fail; they never skip.
//
// A failed step saves a screenshot, the page's HTML and the platform's log
// in a directory named in the failure message (under the test output
// directory when go test runs with -artifacts).
package e2e
