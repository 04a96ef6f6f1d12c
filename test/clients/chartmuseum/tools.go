//go:build tools

// Package tools pins ChartMuseum, the chart server the migration suite imports from
// (test/clients/chartmuseum-import.e2e.spec.ts); install.sh builds
// helm.sh/chartmuseum/cmd/chartmuseum (the module github.com/helm/chartmuseum declares that
// path since v0.16) from this module, its versions fixed by go.mod and verified by go.sum: the
// module proxy refuses the module's version list, so `go install ...@v0.16.3` fails.
package tools

import _ "helm.sh/chartmuseum/cmd/chartmuseum"
