"""The published study's design: its two nations, their languages and its personas.

They are facts of the release (what its files may hold) and the design the similarity analyses
(RQ1-RQ3, docs/methods.md section 3) compare: Chinese and American respondents against LLM
answers in English and Chinese, without persona and with a Chinese or American one. A study of its
own names its nations, languages and personas in its study file (collect.core.study); the
similarity step sets aside, and says so, what lies outside this design.
"""

from __future__ import annotations

from typing import Literal

Nation = Literal["China", "USA"]
Language = Literal["English", "Chinese"]
Persona = Literal["none", "China", "USA"]

NATIONS: tuple[Nation, ...] = ("China", "USA")
LANGUAGES: tuple[Language, ...] = ("English", "Chinese")
PERSONAS: tuple[Persona, ...] = ("none", "China", "USA")

# Human respondents answered in their own language; this pairs them with LLM answers.
LANGUAGE_OF_NATION: dict[Nation, Language] = {"China": "Chinese", "USA": "English"}
