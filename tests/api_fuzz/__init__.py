"""The API fuzz harness (issue 11, item 10): every public callable of ``labhelpers`` meets bad input.

- :mod:`.kinds`: the kinds of argument (positive float, size, seed, flag, device, ...), each with its
  catalogue of bad and edge values and a hypothesis strategy that draws more of them.
- :mod:`.manifest`: one entry per public callable: a small valid baseline call and the kind of every
  parameter (or an exemption with its reason).
- :mod:`.runner`: runs one call in a worker process under a timeout and sorts the outcome into
  "clear error", "unclear error", "silent", "hang", "accepted-ok", "refused-valid" or "harness error"
  (the harness's own failure: a baseline it cannot build, a result it cannot inspect).
- :mod:`.worker`: the worker process; it inspects every number inside a result (records, dicts,
  lists, tensors) for NaN and inf, and accepts only the sentinels an entry declares (``nan_ok``,
  ``inf_ok``: documented results such as NaN for a curve that never crosses its level).

``tests/test_api_fuzz.py`` asserts that no call ends unclear, silent, hung or wrongly refused;
``scripts/fuzz_report.py`` prints the counts per outcome and per module over the whole API.
"""
