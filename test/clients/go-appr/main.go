// wharf-go-appr drives Wharf through go-appr, the generated Go client that operator-marketplace
// uses, the way operator-marketplace's appregistry adapter does: list the packages of a namespace,
// show one release's helm manifest, then download the blob named by its content.digest.
//
// Usage: wharf-go-appr BASE_URL NAMESPACE PACKAGE RELEASE OUT_FILE
// Prints one JSON object on stdout: {"list":[...], "show":{...}, "blob_sha256":"...", "blob_size":N}.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	apprclient "github.com/operator-framework/go-appr/appregistry"
	"github.com/operator-framework/go-appr/appregistry/blobs"
	"github.com/operator-framework/go-appr/appregistry/package_appr"
)

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: wharf-go-appr BASE_URL NAMESPACE PACKAGE RELEASE OUT_FILE")
		os.Exit(2)
	}
	base, namespace, pkg, release, out := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	u, err := url.Parse(base)
	if err != nil {
		fail("parse url", err)
	}
	// As operator-marketplace builds its client: host and path of the registry URL (".../cnr"),
	// and a consumer for the raw blob's application/x-gzip responses.
	transport := httptransport.New(u.Host, u.Path, []string{u.Scheme})
	transport.Consumers["application/x-gzip"] = runtime.ByteStreamConsumer()
	client := apprclient.New(transport, strfmt.Default)

	list, err := client.PackageAppr.ListPackages(package_appr.NewListPackagesParams().WithNamespace(&namespace))
	if err != nil {
		fail("list", err)
	}
	show, err := client.PackageAppr.ShowPackage(package_appr.NewShowPackageParams().
		WithNamespace(namespace).WithPackage(pkg).WithRelease(release).WithMediaType("helm"))
	if err != nil {
		fail("show", err)
	}
	if show.Payload == nil || show.Payload.Content == nil || show.Payload.Content.Digest == "" {
		fail("show", fmt.Errorf("no content.digest in the manifest"))
	}
	var buf bytes.Buffer
	if _, err := client.Blobs.PullBlob(blobs.NewPullBlobParams().
		WithNamespace(namespace).WithPackage(pkg).WithDigest(show.Payload.Content.Digest), &buf); err != nil {
		fail("pull blob", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		fail("write blob", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	result := map[string]interface{}{
		"list":        list.Payload,
		"show":        show.Payload,
		"blob_sha256": hex.EncodeToString(sum[:]),
		"blob_size":   buf.Len(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		fail("encode", err)
	}
}
