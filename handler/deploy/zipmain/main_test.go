package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
)

func TestPackKeepsTheExecutableBitAndTheName(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "main")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "code.zip")
	if err := pack(bin, out); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "main" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip holds %d files, first %q mode %v; want main, 0755", len(zr.File), zr.File[0].Name, zr.File[0].Mode())
	}
}
