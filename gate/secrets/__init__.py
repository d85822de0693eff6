"""The detect-secrets adapter behind the ``secrets`` check.

* :mod:`gate.secrets.plugins` — detect-secrets plugins for current token formats that
  detect-secrets 1.5 lacks (loaded with ``detect-secrets scan --plugin``);
* :mod:`gate.secrets.types` — stable kebab-case ids and severities for secret types;
* :mod:`gate.secrets.baseline` — reading a ``.secrets.baseline`` (detect-secrets format);
* :mod:`gate.secrets.engine` — running ``detect-secrets scan`` through
  :func:`gate.scanners.process.run_tool` and parsing its JSON strictly (fail closed);
* :mod:`gate.secrets.prefilter` — hands detect-secrets only the lines it could report on, with
  identical findings;
* :mod:`gate.secrets.cache` — content-addressed per-file results for ``--cache-dir``.
"""
