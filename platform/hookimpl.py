"""The marker plugins use: `from jifen.hookimpl import hookimpl`."""

import pluggy

hookimpl = pluggy.HookimplMarker("jifen")
