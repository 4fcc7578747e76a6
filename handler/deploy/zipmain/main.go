// Command zipmain packs the function binary into the code package FC deploys: one file named main
// at the root of the zip, executable (a zip made without the mode loses the bit, and FC cannot run
// the handler). It exists so `make build` needs nothing but Go.
//
// Usage: go run ./handler/deploy/zipmain main code.zip
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: zipmain BINARY ZIP")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "zipmain:", err)
		os.Exit(1)
	}
}

func pack(binary, out string) error {
	in, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return err
	}
	h.Name, h.Method = filepath.Base(binary), zip.Deflate
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = io.Copy(w, in)
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
