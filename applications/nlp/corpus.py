"""The NLP application's embedded sample: a SYNTHETIC sentiment corpus, generated with a fixed seed.

No sentence here was written by a person about a real film: `generate_corpus` fills templates
from small vocabularies (positive and negative adjectives and verbs, nouns such as "movie",
"plot", "acting", intensifiers such as "very", "really", "extremely", and sentiment-neutral
distractor phrases such as "honestly," or "last weekend"). It exists so that the application
works offline, and it is built so that word order matters: a bag of words cannot solve it all.

How each label is decided (label 1 = positive, 0 = negative), by the example's `kind`:

- `"plain"`: the polarity of the one sentiment word ("the acting was great" -> 1,
  "i hated the plot" -> 0).
- `"intensified"`: as plain, with an intensifier before the adjective, which does not change
  the polarity ("the plot was extremely dull" -> 0).
- `"negation"`: "not" (or "n't", "did not", "never") flips the polarity of the word it
  negates ("the acting was not great" -> 0, "the movie was not bad" -> 1,
  "i did not hate the ending" -> 1).
- `"contrast"`: two clauses of opposite polarity joined by "but"; the clause after "but"
  decides ("the plot was good at times but the acting was awful" -> 0). A hedge ("at times",
  "on paper", ...) always follows the first adjective, so that no bigram says which came first.

Every kind may carry a distractor phrase before or after the sentence; distractors never
change the label. No text occurs twice, so no test sentence is also a training sentence. Labels are balanced exactly (for an even `n`; within one otherwise), and
roughly within each kind. Each adjective and verb appears with both labels across kinds, so
a unigram model trained on everything learns each word's usual polarity and fails the
negations and contrasts.
"""

from __future__ import annotations

import random
from functools import partial

CORPUS_CLASSES = ("negative", "positive")
KINDS = ("plain", "intensified", "negation", "contrast")
_KIND_SHARE = {"plain": 0.3, "intensified": 0.2, "negation": 0.25, "contrast": 0.25}

POSITIVE_ADJECTIVES = ("great", "good", "excellent", "wonderful", "brilliant", "superb", "enjoyable", "delightful",
                       "fantastic", "charming", "clever", "moving")
NEGATIVE_ADJECTIVES = ("bad", "awful", "terrible", "boring", "dull", "poor", "weak", "horrible", "dreadful", "tedious",
                       "clumsy", "bland")
# (past tense, base form)
POSITIVE_VERBS = (("loved", "love"), ("liked", "like"), ("enjoyed", "enjoy"), ("adored", "adore"))
NEGATIVE_VERBS = (("hated", "hate"), ("disliked", "dislike"), ("loathed", "loathe"), ("detested", "detest"))
NOUNS = ("movie", "film", "plot", "acting", "script", "ending", "soundtrack", "cast", "story", "dialogue", "direction",
         "pacing", "cinematography", "score")
INTENSIFIERS = ("very", "really", "extremely", "truly", "incredibly", "remarkably", "so")
PREFIXES = ("", "", "", "honestly,", "to be fair,", "in my opinion", "i have to say", "overall,", "well,", "frankly,",
            "all in all,", "as expected,")
SUFFIXES = ("", "", "", "last weekend", "at the cinema", "on a rainy sunday", "with my friends", "for two hours",
            "in the second half", "from start to finish", "this time")
_COPULAS = ("was", "is")
# Always between the first clause's adjective and "but": without it the bigram "good but" would
# tell a bag of bigrams which adjective came first, and so the label.
HEDGES = ("at times", "in places", "at first", "for a while", "on paper", "in parts", "early on", "in the trailer")
_NEGATED_COPULAS = ("was not", "wasn't", "is not", "isn't", "was never")


def generate_corpus(n: int = 4000, *, seed: int = 0) -> list[dict]:
    """`n` synthetic sentences, each `{"text": str, "label": 0 | 1, "kind": str}`, in random order.

    The same `n` and `seed` always give the same corpus. See the module docstring for how labels
    are decided.

    Example:
        >>> generate_corpus(4, seed=0)[0]
        {'text': '...', 'label': 1, 'kind': 'negation'}
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int. Received: n={n!r}")
    rng = random.Random(seed)
    # Kinds in fixed proportions, then labels alternating over that list: exactly balanced overall.
    sizes = {kind: int(n * share) for kind, share in _KIND_SHARE.items()}
    sizes["plain"] += n - sum(sizes.values())
    kinds = [kind for kind in KINDS for _ in range(sizes[kind])]
    examples, seen = [], set()
    for index, kind in enumerate(kinds):
        label = index % 2
        for _ in range(100):  # distinct texts: no sentence is both in a training and a test split
            text = _SENTENCE[kind](rng, label)
            text = " ".join(part for part in (rng.choice(PREFIXES), text, rng.choice(SUFFIXES)) if part)
            if text not in seen:
                break
        seen.add(text)
        examples.append({"text": text, "label": label, "kind": kind})
    rng.shuffle(examples)
    return examples


def _adjective(rng: random.Random, positive: bool) -> str:
    return rng.choice(POSITIVE_ADJECTIVES if positive else NEGATIVE_ADJECTIVES)


def _verb(rng: random.Random, positive: bool) -> tuple[str, str]:
    return rng.choice(POSITIVE_VERBS if positive else NEGATIVE_VERBS)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _plain(rng: random.Random, label: int, *, intensified: bool = False) -> str:
    positive = bool(label)
    noun = rng.choice(NOUNS)
    template = rng.randrange(3)
    if template == 0:
        intensifier = rng.choice(INTENSIFIERS) + " " if intensified else ""
        return f"the {noun} {rng.choice(_COPULAS)} {intensifier}{_adjective(rng, positive)}"
    if template == 1:
        phrase = f"{rng.choice(INTENSIFIERS[:-1]) + ' ' if intensified else ''}{_adjective(rng, positive)}"
        return f"it was {_article(phrase)} {phrase} {noun}"
    past, _ = _verb(rng, positive)
    intensifier = rng.choice(("really ", "truly ")) if intensified else ""
    return f"i {intensifier}{past} the {noun}"


def _negation(rng: random.Random, label: int) -> str:
    negated = not label  # the word negated has the opposite polarity of the label
    noun = rng.choice(NOUNS)
    template = rng.randrange(3)
    if template == 0:
        return f"the {noun} {rng.choice(_NEGATED_COPULAS)} {_adjective(rng, negated)}"
    if template == 1:
        adjective = _adjective(rng, negated)
        return f"it was not {_article(adjective)} {adjective} {noun}"
    past, base = _verb(rng, negated)
    form = rng.randrange(3)
    verb = ("did not " + base, "didn't " + base, "never " + past)[form]
    return f"i {verb} the {noun}"


def _contrast(rng: random.Random, label: int) -> str:
    first, second = rng.sample(NOUNS, 2)
    before = _adjective(rng, not label)
    after = _adjective(rng, bool(label))
    if rng.random() < 0.3:
        after = f"{rng.choice(INTENSIFIERS)} {after}"
    hedge = rng.choice(HEDGES)
    return f"the {first} {rng.choice(_COPULAS)} {before} {hedge} but the {second} {rng.choice(_COPULAS)} {after}"


_SENTENCE = {"plain": _plain, "intensified": partial(_plain, intensified=True), "negation": _negation,
             "contrast": _contrast}
