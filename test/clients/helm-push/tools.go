//go:build tools

// Package tools pins the ChartMuseum push plugin (helm-push's cm-push) that the Helm client
// suite drives; install.sh builds github.com/chartmuseum/helm-push/cmd/helm-cm-push from this
// module, its versions fixed by go.mod and verified by go.sum.
package tools

import _ "github.com/chartmuseum/helm-push/cmd/helm-cm-push"
