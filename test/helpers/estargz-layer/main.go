// estargz-layer turns a layer tar into an eStargz blob with the stargz snapshotter's own library
// (Debian's golang-github-containerd-stargz-snapshotter-dev), so the lazy-pulling test builds its
// image on the host in seconds instead of converting it in the emulated VM. It prints what the
// image's manifest and config need: {"tocDigest","diffID","uncompressedSize"}.
//
//	estargz-layer IN.tar OUT.blob [PRIORITIZED_FILE...]
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/containerd/stargz-snapshotter/estargz"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "estargz-layer:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: estargz-layer IN.tar OUT.blob [PRIORITIZED_FILE...]"))
	}
	in, err := os.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		fail(err)
	}
	opts := []estargz.Option{estargz.WithCompressionLevel(gzip.BestSpeed)}
	if len(os.Args) > 3 {
		opts = append(opts, estargz.WithPrioritizedFiles(os.Args[3:]))
	}
	blob, err := estargz.Build(io.NewSectionReader(in, 0, st.Size()), opts...)
	if err != nil {
		fail(err)
	}
	defer blob.Close()
	out, err := os.Create(os.Args[2])
	if err != nil {
		fail(err)
	}
	if _, err := io.Copy(out, blob); err != nil {
		fail(err)
	}
	if err := out.Close(); err != nil {
		fail(err)
	}
	// The uncompressed size, for the io.containers.estargz.uncompressed-size annotation.
	f, err := os.Open(os.Args[2])
	if err != nil {
		fail(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		fail(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		fail(err)
	}
	res := map[string]interface{}{
		"tocDigest":        blob.TOCDigest().String(),
		"diffID":           blob.DiffID().String(),
		"uncompressedSize": n,
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fail(err)
	}
}
