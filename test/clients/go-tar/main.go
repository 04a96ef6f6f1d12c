// wharf-go-tar lists tar archives as Go's archive/tar reads them: archive/tar is the reader Helm
// unpacks charts with, so the test beside it (test/clients/go-tar.e2e.spec.ts) can check that
// every archive Wharf accepts has, as Go sees it, the entries Wharf saw and only safe ones.
//
// Usage: wharf-go-tar FILE.tar...
// Prints one JSON array on stdout, one element per file, in order:
// {"file": "...", "entries": [{"name": "...", "typeflag": "0", "linkname": "", "size": N}], "error": null | "..."}.
// Entries are reported up to the first error; a name Go itself flags as insecure is still listed.
package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

type entry struct {
	Name     string `json:"name"`
	Typeflag string `json:"typeflag"`
	Linkname string `json:"linkname"`
	Size     int64  `json:"size"`
}

type listing struct {
	File    string  `json:"file"`
	Entries []entry `json:"entries"`
	Error   *string `json:"error"`
}

func list(path string) listing {
	out := listing{File: path, Entries: []entry{}}
	fail := func(err error) listing {
		text := err.Error()
		out.Error = &text
		return out
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return fail(err)
		}
		out.Entries = append(out.Entries, entry{Name: h.Name, Typeflag: string(rune(h.Typeflag)), Linkname: h.Linkname, Size: h.Size})
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fail(err)
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wharf-go-tar FILE.tar...")
		os.Exit(2)
	}
	listings := make([]listing, 0, len(os.Args)-1)
	for _, path := range os.Args[1:] {
		listings = append(listings, list(path))
	}
	if err := json.NewEncoder(os.Stdout).Encode(listings); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
