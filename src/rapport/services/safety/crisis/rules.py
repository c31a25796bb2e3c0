"""The rule layer of the crisis screen: what a sentence-vector classifier gets wrong.

A classifier on sentence vectors hears "die", "kill myself" and "suicide" whether or not the
writer says them about themselves, now, and without a "not" in front. Before scoring, this
module cuts a text into clauses and drops the ones that do not speak for the writer:

- quoted spans ("the song goes 'I want to die'"),
- reported speech of someone else ("my friend said she wants to ..."),
- crisis statements that are negated ("I don't want to die anymore") or placed in the past
  ("I used to want to die", "three years ago ...").

It also finds explicit first-person statements (an un-negated "kill myself", a negated
"want to live") and the plan / means / time cues that raise severity, plus the domestic
violence and overdose cues the forum data has no forum for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

# Quoted spans: straight or curly double quotes, curly single quotes (straight single
# quotes are apostrophes far more often than quotes).
_QUOTED = re.compile(
    r"\"[^\"\n]{1,300}\"|\u201c[^\u201d\n]{1,300}\u201d|\u2018[^\u2019\n]{1,300}\u2019"
    # Straight single quotes: opened before a letter after a non-word, closed before a
    # non-letter; apostrophes between letters ("don't") may sit inside.
    # Spans are short and never open with a clipped word ('cause, 'til, 'em).
    r"|(?<![\w'])'(?=[a-zA-Z])(?!(?:cause|cos|cuz|til|till|em|bout|round|n)\b)"
    r"(?:[^'\n]|(?<=[a-zA-Z])'(?=[a-zA-Z])){1,120}'(?![a-zA-Z])"
)

# Clause boundaries: sentence ends, semicolons, dashes, commas, and contrast words (the part
# after "but" often takes back the part before it).
_SENTENCES = re.compile(r"(?<=[.!?\n])\s+|\n+")
_CLAUSES = re.compile(
    r"\s*[;,:\u2014\u2013]\s*|\s+-\s+|\s+(?=\b(?:but|however|although|though|yet|except)\b)",
    re.IGNORECASE,
)

_FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|i'd|i'll|me|my|myself|mine)\b")
_PERSON = (
    r"(?:friends?|best friend|brother|sister|sibling|mom|mum|mother|dad|father|parents?|son|"
    r"daughter|wife|husband|partner|boyfriend|girlfriend|bf|gf|ex|fiance|fiancee|roommate|"
    r"flatmate|coworker|co-worker|colleague|boss|teacher|students?|pupils?|kids?|child|"
    r"children|cousin|aunt|uncle|grandma|grandmother|grandfather|grandpa|nan|neighbou?r|"
    r"therapist|counsell?or|doctor|nurse|patient|client|character|narrator|author|writer|"
    r"article|song|lyrics?|poem|book|novel|film|movie|show|post|classmate|guy|girl|man|woman|"
    r"person|someone|somebody|people|everyone|everybody)"
)
_THIRD_SUBJECT = (
    rf"(?:he|she|they|someone|somebody|people|everyone|everybody|"
    rf"(?:my|his|her|their|our|a|an|the|this|that|one of my)\s+(?:[a-z]+\s+)?{_PERSON})"
)
# Someone else's words: "<third person> said/told me/wrote ..." up to the next contrast
# word or the end of the sentence.
_REPORTED = re.compile(
    rf"\b{_THIRD_SUBJECT}\s+(?:(?:always|often|keeps?|kept|once|just|then|finally|also)\s+)?"
    r"(?:said|says|saying|told|tells|telling|wrote|writes|admitted|admits|confessed|claims?|"
    r"claimed|texted|posted|messaged|mentioned|asked|jokes?|joked|screamed|yelled|threatened|"
    r"threatens|thinks|thought|believes|feels|felt|wants|wanted|is thinking|was thinking|"
    r"has been thinking|had been thinking|talks|talked|tried|tries|attempted|starts|begins|"
    r"goes|went|has a plan|had a plan|is planning|was planning)\b"
)
_CONTRAST = re.compile(r"\b(?:but|however|although|though)\b")
# Someone else's crisis, in words the first-person patterns do not cover.
_THIRD_DEATH = re.compile(
    r"\b(?:(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|hanging)\s+"
    r"(?:himself|herself|themselves|themself)|(?:end|ending|take|taking)\s+(?:his|her|their)\s+"
    r"(?:own\s+)?life|wants?\s+to\s+die|wanted\s+to\s+die|be\s+dead)\b"
)

# Crisis statements that speak of dying or self-harm ("death" predicates).
_DEATH = re.compile(
    r"\b(?:"
    r"(?:kill|killing|killed|hang|hanging|hanged|shoot|shooting|shot|drown|drowning|poison|"
    r"poisoning|cut|cutting|burn|burning|burned|hurt|hurting|harm|harming|starve|starving|"
    r"stab|stabbing|off)\s+(?:my\s*self|myself)(?!\s+(?:off|short|some slack|a break))"
    r"|kms|unalive|self[- ]?harm(?:ing|ed)?|(?<![\w/=&?.-])sh\b(?![=/.-])"
    r"|(?:end|ending|ended|take|taking|took)\s+(?:my|my own)\s+(?:life|lives)"
    r"|end(?:ing)?\s+(?:it|things|everything)(?:\s+all)?\s+"
    r"(?:now|tonight|today|soon|for good|forever)"
    r"|end(?:ing)?\s+(?:anything|everything)|end(?:ing)?\s+it\s+all|want(?:ed)?\s+(?:it\s+)?(?:all\s+)?to\s+end"
    r"|suicid\w*"
    r"|overdos\w*"
    r"|(?:want|wants|wanna|wanted|wanting|wish|wished|ready|going|plan|planning|planned|"
    r"decided|need|deserve|like|try|tried|trying|urge|urges|desire|longing)\s+(?:to\s+)?"
    r"(?:just\s+)?"
    r"(?:die|be dead|not wake up|"
    r"disappear(?:\s+forever|\s+for good)?|stop existing|not exist|cease to exist|sleep forever|"
    r"never wake up)"
    r"|wish\s+i\s+(?:was|were)\s+(?:dead|never born|gone)"
    r"|(?:better|happier)\s+(?:off\s+)?(?:dead|without me|if i (?:was|were) (?:dead|gone))"
    r"|(?:never|not)\s+wake\s+up"
    r"|(?:slit|slice|cut)\s+my\s+(?:wrists?|arms?|thighs?|throat)"
    r"|jump(?:ing)?\s+(?:off|from)\s+(?:a|the|my|our|this|that)?\s*(?:bridge|building|roof|cliff|"
    r"balcony|window|ledge|top|tower|car park|parking)"
    r"|jump(?:ing)?\s+in\s+front\s+of"
    r"|(?:thoughts?|ways?|how)\s+(?:of|about|to)\s+(?:dying|die|death|ending it)"
    r"|my\s+(?:own\s+)?funeral"
    r"|tired\s+of\s+(?:living|life|being alive|existing)"
    r"|(?:i'm|im|i am|feel like|being|am just|i'm just)\s+(?:such\s+)?a\s+burden"
    r"|(?:want|wish|urge|tempted|going|plan|planning)\s+to\s+jump(?!\s+(?:with|for|at|in|into|on|"
    r"up|to|around|back|through|right|straight|ahead|over|ship))"
    r"|(?:thinking|think|thought)\s+(?:about|of)\s+(?:dying|death|jumping|ending it)"
    r"|goodbye\s+(?:note|letter)s?|suicide\s+note"
    r")"
)

# Statements of living whose negation is the crisis ("I don't want to live anymore").
_LIFE = re.compile(
    r"\b(?:(?:glad|happy|grateful|lucky|thankful|decided|choose|chose|choosing)\s+(?:to\s+|i'm\s+|"
    r"i am\s+|that i'm\s+)?(?:be\s+)?(?:alive|live|living|stay alive|be here|exist|survived)"
    r"|(?:want|wanna|reason|reasons|point|worth|will|strength|energy|able)\s+(?:in\s+)?"
    r"(?:to\s+)?(?:keep\s+)?(?:live|living|be alive|stay alive|be here|exist|go on|going on|"
    r"carry on|survive)"
    r"|(?:want|wanna|going|ready|excited|looking forward)\s+to\s+(?:wake up and\s+)?"
    r"(?:live my life|see tomorrow|wake up)"
    r"|(?:do|take|handle)\s+(?:this|it)\s+(?:anymore|any more|much longer)"
    r"|(?:be|being)\s+(?:here|around)\s+(?:anymore|much longer|for long)"
    r"|(?:go|going)\s+on\s+like\s+this"
    r")"
)

# Dark states whose negation is recovery ("I'm not hopeless anymore"); affirmed they are
# left to the classifier.
_DARK = re.compile(
    r"\b(?:(?:hopeless|worthless|empty|numb|depressed)"
    r"|in\s+(?:a|such a|that)\s+(?:dark|bad)\s+place|struggling)\b"
)

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|neither|nor|without|n't|dont|doesnt|didnt|cant|cannot|"
    r"wont|wouldnt|couldnt|shouldnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|aint|"
    r"no longer|no more|stopped|stop|quit|quitting|gave up|given up|free of|past the|rarely|"
    r"seldom|hardly|barely|zero|done with|free from|recovered from|over the|"
    r"(?:i'm|im|i am|am|got|get|getting|moved|move) past|nowhere near)\b|n't\b"
)
# Negations that do not negate: "can't stop thinking about it", "couldn't help".
_NOT_NEGATION = re.compile(
    r"\b(?:can't|cant|cannot|couldn't|couldnt|won't|wont)\s+(?:stop|help|shake|get rid of|"
    r"get over|escape|resist)\b|\bno one\b|\bnobody\b|\bnothing\s+(?:matters|helps|works)\b|"
    r"\bno\s+(?:hope|way out|future|point|reason|purpose|one|choice|other (?:way|option))\b|"
    r"\bnot\s+(?:sure|even|just|only)\b|"
    r"\b(?:nothing|no one|nobody)\s+(?:is\s+)?(?:stopping|stops|keeping|holding)\s+me\b"
)
# After the predicate, in the same clause: "... isn't an option", "... have gone away".
# The words in between may not start a new statement ("... and it is not fair").
_NEGATED_AFTER = re.compile(
    r"^\W*(?:(?!(?:and|so|because|cause|then|or)\b)\w+\s+){0,3}?"
    r"(?:(?:don't|dont|doesn't|doesnt|do not|does not|never|no longer)\s+(?:\w+\s+){0,3}?"
    r"(?:anymore|any more|these days)"
    r"|(?:is|are|was|feels?)\s+(?:off the table|out of the question|a thing of the past|"
    r"in the past|in my past|not an option)"
    r"|(?:hasn't|hasnt|haven't|havent|has not|have not|hadn't|doesn't|doesnt|don't|dont|"
    r"does not|do not|never|rarely)\s+(?:\w+\s+)?(?:crossed|cross|come|comes|came|"
    r"happened|happen|bothered|bother|occurred|occur)"
    r"|(?:has|have|had|is|was)\s+never|never\s+been"
    r"|is not|isn't|isnt|are not|aren't|arent|was not|wasn't|is no longer|"
    r"are no longer|have gone|has gone|are gone|is gone|went away|gone away|faded|have faded|"
    r"have passed|has passed|passed|stopped|are over|is over|behind me)\b"
)
_PAST = re.compile(
    r"\b(?:used to|there was a time|once upon|back then|back in|in the past|"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|many|several|few|a few|some)\s+"
    r"(?:years?|months?|decades?)\s+ago|last (?:year|decade)|as a (?:teen|teenager|kid|child)|"
    r"in (?:college|high school|middle school|university|my teens|my twenties)|"
    r"behind me|years back|when i was (?:younger|a kid|a teenager|\d+)|"
    r"when i was (?:depressed|suicidal|struggling|at my (?:lowest|worst)|in (?:a|that) dark place)|"
    r"(?:i|i've|ive|i have)\s+once|once (?:tried|attempted))\b"
)

# A sentence that only supposes: "if I ever felt suicidal ...", "what if someone ...",
# "hypothetically ...". A plain "if" is not enough ("if this fails I'll kill myself").
_HYPOTHETICAL = re.compile(
    r"\bif\s+(?:i\s+ever\s+(?:feel|felt|get|got|become|became|start|started|find|found|have|"
    r"had)|someone|somebody|a (?:friend|person|loved one|student|patient|client)|"
    r"you\s+ever)\b|\bhypothetical(?:ly)?\b|^\W*(?:suppose|supposing|imagine)\b"
)
_SUPPOSING = re.compile(r"^\W*(?:hypothetical(?:ly)?|suppose|supposing|imagine)\b")
# A crisis word as a topic, not a state: the noun in a clause with no first person that asks
# or speaks of others ("how do crisis lines decide if a caller is at risk of suicide?").
_NOMINAL = re.compile(r"^(?:suicides?|overdoses?|self[- ]?harm)$")
# Idioms that read as crisis words to a sentence-vector model; removed before scoring.
_IDIOM = re.compile(
    r"\b(?:is|are|was|were|'s|'re)\s+(?:literally\s+|really\s+|just\s+)?killing\s+me\b"
    r"|\b(?:going to|gonna|will|'ll)\s+kill\s+me\s+(?:when|if|for)\b"
    r"|\b(?:i'm|im|i am)\s+dying\s+here\b",
    re.IGNORECASE,
)

# Severity cues: a plan, the means, a time, or a goodbye.
_PLAN = re.compile(
    r"\b(?:tonight|today|tomorrow|this (?:weekend|week|evening|morning)|right now|soon|"
    r"in (?:a|an|two|few) (?:hours?|days?)|"
    r"plan|planned|planning|decided|ready|prepared|goodbye|farewell|note|letter|will|"
    r"pills?|tablets?|overdose|rope|noose|gun|pistol|rifle|bullets?|knife|blade|razor|bridge|"
    r"ledge|roof|train|tracks|car|exhaust|bought|saved up|stockpil\w*|researching|"
    r"last (?:time|day|night)|final|gave away|giving away|attempted|attempt)\b"
)

# Categories the forum data has no forum for, and acute cues of the others.
_DOMESTIC_VIOLENCE = re.compile(
    r"\b(?:my|our)\s+(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|ex|fiance|fiancee|"
    r"spouse|dad|father|mom|mother|stepdad|stepfather|parents?)\s+(?:\w+\s+){0,3}?"
    r"(?:hits?|hitting|beats?|beating|beat|punch\w*|chok\w*|strangl\w*|kick\w*|slap\w*|"
    r"threaten\w*\s+to\s+kill|rap\w*|abus\w*|hurts?\s+me|hurt\s+me|locks?\s+me|locked\s+me)"
    r"|\b(?:(?:he|she) (?:will|is going to|'s going to) kill me|"
    r"afraid (?:to go|of going) home|scared (?:for my life|to go home))\b"
)
_SUBSTANCE_ACUTE = re.compile(
    r"\b(?:(?:i|i've|ive|i have|i just)\s+(?:overdosed|od'?d|relapsed)|"
    r"(?:took|taken|swallowed)\s+(?:a|the|all)\s+(?:whole\s+)?(?:bottle|pack|handful)|"
    r"can't stop (?:drinking|using)|drinking (?:myself to death|every day)|"
    r"withdrawal (?:seizures?|shakes)|mixing (?:xanax|benzos|pills) (?:and|with) (?:alcohol|"
    r"booze|drinking))\b"
)
_EATING_ACUTE = re.compile(
    r"\b(?:haven't eaten (?:in|for) (?:days|a week|\d+ days)|purg(?:e|ing) (?:blood|every)|"
    r"(?:fainted|passed out) (?:from|because) (?:not eating|starving)|"
    r"starv(?:e|ing) myself|throwing up (?:blood|after every))\b"
)
_MENTAL_ACUTE = re.compile(
    r"\b(?:voices? (?:are |keep )?(?:telling|tell) me to|hearing voices|"
    r"(?:having|had) a (?:panic attack|psychotic episode|breakdown) (?:right now|and)|"
    r"losing my mind|can't tell what's real)\b"
)


@dataclass
class Reading:
    """What the rules found in one text."""

    text: str
    """The text as given."""
    kept: str
    """The text with quotes, others' words and negated or past crisis clauses removed:
    what the classifier scores."""
    explicit: bool = False
    """An un-negated first-person crisis statement (or a negated will to live)."""
    negated: int = 0
    """Crisis statements dropped because negated, in the past, quoted or someone else's."""
    dropped: list[str] = field(default_factory=list)
    """The clauses removed, for explanations and tests."""
    plan: bool = False
    """A plan, means, time or goodbye cue next to an explicit statement."""
    domestic_violence: bool = False
    substance_acute: bool = False
    eating_acute: bool = False
    mental_acute: bool = False


def normalise(text: str) -> str:
    return text.translate(_APOSTROPHES)


def sentences(text: str) -> list[str]:
    return _SENTENCES.split(text)


def clauses(text: str) -> list[str]:
    """Sentences cut at commas, semicolons, dashes and contrast words."""
    parts: list[str] = []
    for sentence in _SENTENCES.split(text):
        parts.extend(p for p in _CLAUSES.split(sentence) if p and p.strip())
    return parts


# "Never ... more than now" intensifies rather than negates.
_COMPARATIVE = re.compile(
    r"\bnever\s+(?:\w+\s+){0,4}?(?:more|worse|this much|so much|as much|so bad|this bad)\b"
)


def _negated(clause: str, match: re.Match[str]) -> bool:
    if _COMPARATIVE.search(clause):
        return False
    before = _NOT_NEGATION.sub(" ", clause[: match.start()])
    # A negation does not reach over "and", "because", "so": "I never asked to be born and
    # I want to end it" affirms the second part.
    before = re.split(r"\b(?:and|because|cause|so|then|or)\b", before)[-1]
    # The nearest negation within eight words before the predicate scopes over it.
    window = " ".join(before.split()[-8:])
    if _NEGATION.search(window):
        return True
    return bool(_NEGATED_AFTER.search(clause[match.end() :]))


def _recovered(clause: str, match: re.Match[str]) -> bool:
    """A dark state negated right before it ("not hopeless", "no longer feel numb"): a
    wider scope would take "I don't know why I'm so depressed" for recovery."""
    window = " ".join(_NOT_NEGATION.sub(" ", clause[: match.start()]).split()[-3:])
    return bool(
        re.search(r"\b(?:not|no longer|never|n't)\s+(?:\w+\s+)?$|n't\s+(?:\w+\s+)?$", window + " ")
    )


def _speaks_for_writer(clause: str) -> bool:
    """First person, or no stated subject ("want to die."): not about someone else."""
    if _FIRST_PERSON.search(clause):
        return True
    return not re.match(rf"^\W*{_THIRD_SUBJECT}\b", clause)


def read(text: str) -> Reading:
    """Apply the rules to one text."""
    raw = normalise(text)
    lowered = raw.lower()
    reading = Reading(text=text, kept="")
    reading.domestic_violence = bool(_DOMESTIC_VIOLENCE.search(lowered))
    reading.substance_acute = bool(_SUBSTANCE_ACUTE.search(lowered))
    reading.eating_acute = bool(_EATING_ACUTE.search(lowered))
    reading.mental_acute = bool(_MENTAL_ACUTE.search(lowered))

    def set_aside(dropped: str) -> None:
        reading.dropped.append(dropped)
        lower = dropped.lower()
        if _DEATH.search(lower) or _THIRD_DEATH.search(lower):
            reading.negated += 1  # someone else's crisis words, not the writer's

    def drop_quote(match: re.Match[str]) -> str:
        set_aside(match.group())
        return " "

    unquoted = _QUOTED.sub(drop_quote, raw)
    kept: list[str] = []
    for sentence in _SENTENCES.split(unquoted):
        reported = _REPORTED.search(sentence.lower())
        if reported and not _FIRST_PERSON.search(sentence.lower()[: reported.start()]):
            # Someone else's words or state: keep what comes before, drop the rest.
            rest = sentence[reported.start() :]
            turn = _CONTRAST.search(rest.lower())
            end = reported.start() + (turn.start() if turn else len(rest))
            set_aside(sentence[reported.start() : end])
            sentence = sentence[: reported.start()] + " " + sentence[end:]
        # "Hypothetically, ..." supposes the whole sentence; an "if" only its own clause.
        whole = bool(_SUPPOSING.match(sentence.lower()))
        for clause in _CLAUSES.split(_IDIOM.sub(" ", sentence)):
            if not clause or not clause.strip():
                continue
            supposed = whole or bool(_HYPOTHETICAL.search(clause.lower()))
            if _clause(clause, reading, supposed):
                kept.append(clause.strip())
            else:
                reading.dropped.append(clause.strip())
    reading.kept = " ".join(kept)
    return reading


_SUBJECTS = re.compile(
    r"\b(?:(?P<first>i|i'm|im|i've|ive|i'd|i'll)|he|she|they|he's|she's|they're|they've|he'd|"
    r"she'd|they'd|he'll|she'll|they'll)\b"
)


def _someone_elses(lower: str, match: re.Match[str]) -> bool:
    """The nearest subject pronoun before the predicate is someone else's ("I asked her if
    she was threatening suicide", "he said he was going to end it all"). Predicates that
    name the writer ("kill myself", "my life") are always the writer's."""
    if re.search(r"\b(?:my|myself|me)\b", match.group()):
        return False
    subjects = list(_SUBJECTS.finditer(lower[: match.start()]))
    return bool(subjects) and subjects[-1].group("first") is None


def _nominal_only(lower: str, deaths: list[re.Match[str]]) -> bool:
    """Crisis nouns only and no first person: a topic ("... to prevent suicides"), not an
    explicit statement of the writer's state."""
    return (
        bool(deaths)
        and not _FIRST_PERSON.search(lower)
        and all(_NOMINAL.match(m.group()) for m in deaths)
    )


def _clause(clause: str, reading: Reading, supposed: bool = False) -> bool:
    """Record the cues of one clause; false when the clause should not be scored.
    `supposed`: the clause's sentence is hypothetical."""
    lower = clause.lower()
    deaths = list(_DEATH.finditer(lower))
    lives = list(_LIFE.finditer(lower))
    if supposed and (deaths or _THIRD_DEATH.search(lower)):
        reading.negated += 1  # "if I ever felt suicidal ...": not a statement of now
        return False
    third = _THIRD_DEATH.search(lower)
    if (
        not deaths
        and not lives
        and third
        and re.search(r"\b(?:him|her|them|his|their)", third.group())
    ):
        reading.negated += 1  # "my girlfriend cut herself": someone else's crisis
        return False
    others = [m for m in deaths if _someone_elses(lower, m)]
    deaths = [m for m in deaths if m not in others]
    if others and not deaths and not lives:
        reading.negated += 1  # someone else's crisis words
        return False
    if _nominal_only(lower, deaths):
        # The classifier decides; a question or talk of others at the stricter threshold.
        if lower.rstrip().endswith("?") or re.search(rf"\b{_THIRD_SUBJECT}\b", lower):
            reading.negated += 1
        return True
    if not deaths and not lives:
        darks = list(_DARK.finditer(lower))
        if darks and _speaks_for_writer(lower) and all(_recovered(lower, m) for m in darks):
            reading.negated += 1
            return False
        return True
    writer = _speaks_for_writer(lower)
    past = bool(_PAST.search(lower))
    affirmed = [m for m in deaths if not _negated(lower, m)]
    if writer and not past and (affirmed or any(_negated(lower, m) for m in lives)):
        reading.explicit = True
        if _PLAN.search(lower):
            reading.plan = True
        return True
    if deaths and (past or not affirmed):
        reading.negated += 1
        return False
    if lives and not deaths and not any(_negated(lower, m) for m in lives):
        if lower.rstrip().endswith("?"):
            return True  # "is there a reason to live anymore?" asks, it does not affirm
        reading.negated += 1  # "I want to live": the opposite of a crisis statement
        return False
    return True


_MEANS = re.compile(
    r"\b(?:pills?|tablets?|overdose|rope|noose|gun|pistol|rifle|bullets?|knife|blade|razor|"
    r"bridge|ledge|roof|train|tracks|exhaust|poison|bleach)\b"
)
_WHEN = re.compile(
    r"\b(?:tonight|today|tomorrow|this (?:weekend|week|evening|morning|afternoon)|right now|"
    r"in (?:a|an|two|few|a few) (?:hours?|days?)|before (?:morning|the weekend))\b"
)


def means_and_time(text: str) -> bool:
    """Both a means and a time: "tonight I'll take all my pills"."""
    lower = normalise(text).lower()
    return bool(_MEANS.search(lower) and _WHEN.search(lower))
