"""Self-checks of short written answers (word_answers) and the hint predicate differs_at.

Book: the Think! and multiple-choice exercises of lessons 4 and 5.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from .values import _safely_true, _short


# ---------------------------------------------------------------- answers given as words
def word_answers(words: Any, choices: Mapping[str, float]) -> Any:
    """Turn a student's answer in words (one word, or a list of them) into numbers that :func:`check` compares.

    Each word is looked up in ``choices`` after stripping spaces and lower-casing; a word that is not
    there becomes ``-1`` (so a hint can say which words are allowed). An answer that is still ``...``
    (or ``None``, or a list with a ``...`` in it) stays ``...``, so the check reports "not attempted".

    Examples
    --------
    >>> word_answers(["Rich", "lazy ", "fast"], {"rich": 1.0, "lazy": 0.0}).tolist()
    [1.0, 0.0, -1.0]

    Raises
    ------
    ValueError
        If ``choices`` is not a non-empty mapping from words to numbers other than ``-1`` (an instructor
        error). Nothing the student writes raises: an answer that cannot be read as words (an object
        whose ``str`` raises, an endless generator) scores ``-1``, and only the first
        ``MAX_WORDS`` words are read.
    """
    if not isinstance(choices, Mapping) or not choices:
        raise ValueError(f"choices must be a non-empty mapping from words to numbers; got {_short(choices)}")
    codes = {}
    for word, code in choices.items():
        if not isinstance(word, str) or not isinstance(code, (int, float)) or isinstance(code, bool) or code == -1:
            raise ValueError(f"choices must map words to numbers other than -1; got {word!r}: {code!r}")
        codes[word.strip().lower()] = float(code)
    try:
        return _score_words(words, codes)
    except BaseException:  # not a word and not a list of words, or words whose str() raises
        return np.array([-1.0])


#: How many words :func:`word_answers` reads at most, so that an endless generator cannot hang a lesson.
MAX_WORDS = 1000


def _score_words(words: Any, codes: dict[str, float]) -> Any:
    if words is None or words is Ellipsis or (isinstance(words, (list, tuple)) and any(w is Ellipsis for w in words)):
        return ...
    if isinstance(words, str):
        words = [words]
    scores = [codes.get(str(word).strip().lower(), -1.0) for word in itertools.islice(words, MAX_WORDS)]
    return np.array(scores if scores else [-1.0])


def differs_at(*indices: int) -> Callable[[Any, Any], bool]:
    """A hint predicate for :func:`check`: true when the answer differs from the expected one at any of ``indices``.

    ``check(name, answer, expected, hints=[(differs_at(2, 3), "Look again at C and D.")])`` shows the
    message when entry 2 or 3 of the answer is wrong. The predicate never raises: an answer it cannot
    index or compare counts as not matching (``False``, so the hint is not shown).
    """
    if not indices or not all(isinstance(k, int) and not isinstance(k, bool) for k in indices):
        raise ValueError(f"indices must be one or more integers; got {indices!r}")
    return lambda answer, expected: _safely_true(
        lambda a, e: any(bool(a[k] != e[k]) for k in indices), answer, expected
    )
