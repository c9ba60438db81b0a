// containerd-stargz-grpc for Berth's VM: Debian packages the stargz snapshotter's library
// (golang-github-containerd-stargz-snapshotter-dev) but not this command, so this is its
// upstream main reduced to what a containerd proxy plugin needs.
package main

import (
	"context"
	"flag"
	"net"
	"os"
	"os/signal"
	"path/filepath"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/contrib/snapshotservice"
	"github.com/containerd/containerd/log"
	"github.com/containerd/stargz-snapshotter/service"
	"github.com/pelletier/go-toml"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
)

func main() {
	address := flag.String("address", "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock", "socket to serve on")
	configPath := flag.String("config", "/etc/containerd-stargz-grpc/config.toml", "config file")
	rootDir := flag.String("root", "/var/lib/containerd-stargz-grpc", "state directory")
	flag.Parse()
	ctx := context.Background()
	var config service.Config
	if b, err := os.ReadFile(*configPath); err == nil {
		if err := toml.Unmarshal(b, &config); err != nil {
			log.G(ctx).WithError(err).Fatal("reading the config")
		}
	} else if !os.IsNotExist(err) {
		log.G(ctx).WithError(err).Fatal("reading the config")
	}
	if err := service.Supported(*rootDir); err != nil {
		log.G(ctx).WithError(err).Fatal("snapshotter not supported here")
	}
	rs, err := service.NewStargzSnapshotterService(ctx, *rootDir, &config)
	if err != nil {
		log.G(ctx).WithError(err).Fatal("configuring the snapshotter")
	}
	rpc := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(rs))
	if err := os.MkdirAll(filepath.Dir(*address), 0o700); err != nil {
		log.G(ctx).WithError(err).Fatal("socket directory")
	}
	_ = os.Remove(*address)
	l, err := net.Listen("unix", *address)
	if err != nil {
		log.G(ctx).WithError(err).Fatal("listening")
	}
	go func() {
		if err := rpc.Serve(l); err != nil {
			log.G(ctx).WithError(err).Fatal("serving")
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGINT, unix.SIGTERM)
	<-sig
	// Unmounts the lazy layers' FUSE mounts before exiting.
	if err := rs.Close(); err != nil {
		log.G(ctx).WithError(err).Error("closing")
	}
}
