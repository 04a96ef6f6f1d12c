// Command wharf-ferretdb runs an embedded FerretDB v1 (MongoDB wire protocol)
// for Wharf's local backends (deploy/local/ferretdb.sh).
//
// It exists because `go install github.com/FerretDB/FerretDB/cmd/ferretdb`
// panics at startup: build/version/version.txt is generated and not part of
// the module zip. Importing the embeddable package from another main module
// skips that check (and disables telemetry and the debug port).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27018", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "", "SQLite directory URI, e.g. file:/abs/dir/ (must exist)")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql handler")
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "wharf-ferretdb: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("wharf-ferretdb listening", "addr", *listen, "handler", *handler)
	if err := f.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "wharf-ferretdb: %v\n", err)
		os.Exit(1)
	}
	logger.Info("wharf-ferretdb stopped")
}
