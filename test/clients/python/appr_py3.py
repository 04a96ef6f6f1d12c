"""Runs the unmodified `appr` 0.7.4 CLI (PyPI, 2017, written for Python 2.7) on Python 3.

Nothing of appr is copied or edited here: this launcher only adjusts the Python 3 runtime under
it, then calls appr's own entry point (`appr.commands.cli:cli`). Each adjustment is a Python 2
behaviour the CLI relies on; docs/clients.md lists the exact error each one avoids.

  1. `gevent.wsgi` (removed in gevent 1.3, 2018) is imported by `appr run-server`, which the CLI
     imports at start-up: a stub module (the server is never run here).
  2. `exc.message` on argparse errors (Python 2 only): a property giving str(exc).
  3. `basestring`, `collections.Mapping` / `Iterable` (gone in Python 3 / 3.10).
  4. `yaml.load(s)` without a Loader (an error since PyYAML 6): SafeLoader by default.
  5. `base64.b64encode` in `appr.commands.push` returns bytes on Python 3, which json.dumps
     refuses: the push command's view of it returns str, as on Python 2.
"""
import argparse
import base64
import builtins
import collections
import collections.abc
import sys
import types

_wsgi = types.ModuleType("gevent.wsgi")
_wsgi.WSGIServer = None
sys.modules["gevent.wsgi"] = _wsgi

argparse.ArgumentTypeError.message = property(lambda self: str(self))
argparse.ArgumentError.message = property(lambda self: str(self))

builtins.basestring = str
for _name in ("Mapping", "MutableMapping", "Iterable", "Sequence"):
    setattr(collections, _name, getattr(collections.abc, _name))

import yaml  # noqa: E402

_yaml_load = yaml.load


def _load(stream, Loader=yaml.SafeLoader, **kwargs):
    return _yaml_load(stream, Loader=Loader, **kwargs)


yaml.load = _load

import appr.commands.push as _push  # noqa: E402


class _Base64Str(object):
    def __getattr__(self, name):
        return getattr(base64, name)

    @staticmethod
    def b64encode(data):
        return base64.b64encode(data).decode("ascii")


_push.base64 = _Base64Str()

from appr.commands.cli import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli())
