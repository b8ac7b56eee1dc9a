"""Lexical features of a text, from the same tooling as the engine's matcher (``config.text``).

A text is normalised and lemmatised by the pack's ``TextAnalyser`` (its lexicon rewrites slang and
typos), function words are dropped, and the lemma text is cut into the engine's character
3–5-grams plus whole-word features (``config.text.ngrams.ngram_counts``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from config.text.analyse import Analysed, TextAnalyser
from config.text.ngrams import ngram_counts

__all__ = ["FUNCTION_WORDS", "content_lemmas", "feature_counts"]

# Russian function words and question scaffolding: they say nothing about *what* is asked.
FUNCTION_WORDS = frozenset(
    (
        "а",
        "без",
        "бы",
        "в",
        "вы",
        "вам",
        "вас",
        "ваш",
        "во",
        "вот",
        "все",
        "всё",
        "да",
        "для",
        "до",
        "ее",
        "её",
        "если",
        "есть",
        "же",
        "за",
        "и",
        "из",
        "или",
        "им",
        "их",
        "к",
        "как",
        "какой",
        "каков",
        "ко",
        "кто",
        "ли",
        "либо",
        "мне",
        "можно",
        "мой",
        "мы",
        "на",
        "над",
        "нам",
        "нас",
        "не",
        "нет",
        "ни",
        "но",
        "ну",
        "о",
        "об",
        "около",
        "от",
        "по",
        "под",
        "при",
        "про",
        "с",
        "со",
        "так",
        "также",
        "там",
        "то",
        "тоже",
        "только",
        "ты",
        "у",
        "уже",
        "чем",
        "что",
        "чтобы",
        "это",
        "этот",
        "я",
        "он",
        "она",
        "они",
        "оно",
        "быть",
        "мочь",
        "хотеть",
        "подсказать",
        "сказать",
        "скажите",
        "подскажите",
        "пожалуйста",
        "здравствуйте",
        "привет",
        "добрый",
        "день",
        "спасибо",
        "ваше",
        "вашем",
        "ваша",
        "свой",
        "который",
        "где",
        "когда",
        "сколько",
        "нужно",
        "надо",
        "ещё",
        "еще",
        "бывать",
        "себя",
        "сам",
        "вообще",
        "просто",
        "очень",
        "делать",
        "сделать",
    )
)


def content_lemmas(analysed: Analysed, extra_stopwords: Iterable[str] = ()) -> list[str]:
    """Lemmas that carry meaning: function words, stop words and one-letter tokens removed."""
    stop = FUNCTION_WORDS.union(extra_stopwords)
    return [lem for lem in analysed.lemmas if lem not in stop and (len(lem) > 1 or lem.isdigit())]


def feature_counts(text: str, analyser: TextAnalyser, extra_stopwords: Iterable[str] = ()) -> Counter[str]:
    """Character n-gram and word counts of the content lemmas of ``text``."""
    return ngram_counts(" ".join(content_lemmas(analyser.analyse(text), extra_stopwords)))
