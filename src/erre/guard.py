"""Questions the twin declines before any retrieval: attempts to take over its instructions
(prompt injection, role play, requests for the system prompt) and requests to write
malicious software. A small model follows such orders when they come with passages that
look related, so the decision is made here, by rule, and costs nothing. The same rules take
such orders out of retrieved passages (`defuse`), where a document may have planted them
for the model to read.

Questions *about* these subjects ("how does ransomware spread?", "what is prompt
injection?") are not declined: only orders to the twin are.
"""

from __future__ import annotations

import re
import unicodedata

# an order starts a sentence or follows "please", "can you"...: questions about the subject don't
_ORDER = (r"(?:^|[.!?:;,\n\])>]\s*|\b(?:puoi|potresti|per favore|can you|could you|please|now|ora|adesso|poi|quindi|"
          r"then|and then|also|anche|e poi)\s+)")
_QUALIFIER = r"(previous|prior|above|earlier|your|all|precedenti|tue|sopra|tutte|vos|tus|deine|ricevute|given)"
_RULES = (r"(istruzion\w*|instruction\w*|regol\w*|rules?|prompt|indicazion\w*|consign\w*|instrucci\w*|"
          r"anweisung\w*|guidelines?|direttiv\w*)")
_PATTERNS = {
    "injection": [
        # "ignore / forget all previous instructions", "ignora le istruzioni precedenti", "ignora le tue regole":
        # the qualifier before or after the noun, as English and Italian put it
        _ORDER + r"(ignora\w*|ignore|dimentica\w*|disregard|forget|scorda\w*|oublie\w*|olvida\w*|vergiss\w*)\b"
        r"(?:[^.?!\n]{0,30}\b" + _QUALIFIER + r"\b[^.?!\n]{0,20}\b" + _RULES + r"|[^.?!\n]{0,30}\b" + _RULES +
        r"[^.?!\n]{0,20}\b" + _QUALIFIER + r"\b)",
        # asking for the hidden instructions
        r"\b(system|sistema)\s*prompt\b|\bprompt\s+(di\s+)?sistema\b|\binitial\s+instructions?\b|"
        r"\bistruzioni\s+(iniziali|nascoste|di\s+sistema)\b",
        # a new role: "ora sei un pirata", "you are now DAN", "pretend to be"
        # "da ora sei Elon Musk": a new role is an article or a name after "sei"
        r"\b(ora|adesso|d'ora in poi|da ora|da adesso|da questo momento)\s*,?\s+(tu\s+)?sei\s+"
        r"(un|una|uno|il|la|lo|l')\b|\b(d'ora in poi|da ora|da adesso|da questo momento)\s*,?\s+(tu\s+)?sei\s+"
        r"(?-i:[A-Z])|\bfai\s+finta\s+di\s+essere\b|(?<!non )\bfingi\s+di\s+essere\b|"
        # another self: "immagina di non essere Davide ma il suo gemello cattivo", "imagine you're not the
        # author but…" (a name or the author; not "immagina di non essere un'insegnante ma una mamma")
        r"\b(immagina|fingi|supponi)\s+di\s+non\s+essere\s+((?-i:[A-Z])|l'aut(ore|rice)\b|te\s+stess[oa]\b|"
        r"(piu\s+)?tu\b)[^.?!\n]{0,40}\bma\b|\b(imagine|pretend|suppose)\s+(that\s+)?you(\s+are|'re|\s+were)\s+"
        r"not\s+((?-i:[A-Z])|the\s+author\b|yourself\b)[^.?!\n]{0,40}\b(but|instead)\b|"
        r"\byou\s+are\s+now\b|\bfrom\s+now\s+on\s+you\b|\bpretend\s+(to\s+be|you\s+are)\b|"
        # a mode switch ordered, not the subject: "attiva la modalità jailbreak", "developer mode enabled"
        r"\b(jailbreak|developer|dan|god)\s+mode\b|\bmodalita\s+(sviluppatore|jailbreak|dan)\b|"
        r"\b(enable|activate|attiva\w*|abilita\w*|enter|entra\w*)\b[^.?!\n]{0,20}\bjailbreak\w*\b|"
        # a new identity for the rest of the talk: "per questa conversazione sei…", "non sei più
        # l'autore", "for the rest of the chat you're…", "you are "Nova""
        r"\b(per questa conversazione|per (tutto )?il resto della (chat|conversazione)|da qui in (poi|avanti)|"
        r"d'ora in avanti|for this (conversation|chat)|for the rest of (this|the) (conversation|chat)|"
        r"from here on)\b[^.?!\n]{0,40}\b(sei|sarai|rispondi\w*|parla\w*|you are|you're|you will be|answer|"
        r"reply|speak|act)\b|\bnon sei pi[uù]\s+(l'|il|lo|la|un|una|uno)[^.?!\n]{0,40}\bma\b|"
        r"\byou(\s+are|'re)\s+no\s+longer\s+(a|an|the)\b[^.?!\n]{0,40}\b(but|instead)\b|"
        r"\b(you\s+are|you're|tu\s+sei)\s+(now\s+|ora\s+)?[\"“«][^\"”»]{1,30}[\"”»]|"
        # "rispondi come Arpad Elo", "answer as Elon Musk": a name after "as"
        r"\b(rispondi\w*|rispondere|parla\w*|answer|reply|speak|talk)\s+(come|as|like)\s+(?-i:[A-Z])|"
        # "answer as if you were the CEO of…", "rispondi come se fossi il ministro"
        r"\b(answer\w*|repl\w+|respond\w*|speak\w*|write|talk\w*|rispondi\w*|rispondere|parla\w*|scrivi\w*)\b"
        r"[^.?!\n]{0,15}"
        r"\b(as if you were|as though you were|like you were|come se fossi|nei panni d\w*|in the role of)\b",
        # a named person to be, whatever the verb: "ti intervisto come se fossi <Name>", "let's talk as if
        # you were <Name>"; the Italian "fossi" is the asker's too ("mi guardano come se fossi Einstein"),
        # so there it is the twin's only when the sentence speaks to it ("ti…", "tu fossi") and the asker
        # does not speak of themself in between ("ti racconto: mi trattavano come se fossi Cenerentola")
        r"\bti\b(?:(?!\b(?:mi|io|me)\b)[^.?!\n]){0,40}\bcome se (tu )?fossi\s+(?-i:[A-Z])|"
        r"\bcome se tu fossi\s+(?-i:[A-Z])|"
        r"\bas (if|though) you were\s+(?-i:[A-Z])",
    ],
    "malware": [
        # "scrivi un virus", "write me a keylogger", "generate ransomware code"
        _ORDER + r"(scrivi\w*|scrivete|crea|creami|create|genera\w*|programma\w*|sviluppa\w*|write|generate|code|"
        r"build|make|develop|escribe|ecris|schreib\w*)\b[^.?!\n]{0,40}\b(virus|malware|ransomware|keylogger|"
        r"trojan\w*|worm|exploit\w*|backdoor|rootkit|spyware|botnet)\b",
    ],
}
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in patterns] for kind, patterns in _PATTERNS.items()}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def check(question: str) -> str | None:
    """"injection" or "malware" when the question is an order the twin declines, else None."""
    text = _fold(question)
    for kind, patterns in _COMPILED.items():
        if any(p.search(text) for p in patterns):
            return kind
    return None


def defuse(text: str, mark: str = "[…]") -> str:
    """`text` with every sentence that is an order to an AI model (the same rules as
    `check`) replaced by `mark`: an instruction planted in a document never reaches the
    model as words it might follow. What the passage says otherwise is left as it is."""
    from .chunk import sentences

    # a sentence hard-wrapped over lines is one sentence (same length: offsets hold)
    flat = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
    out, last = [], 0
    for start, end in sentences(flat):
        if check(flat[start:end]):
            out += [text[last:start], mark]
            last = end
    return "".join(out) + text[last:] if out else text
