"""The answer's checks, stage by stage: what kind of message this is (`classify`: a question
to the author, a task for an assistant, a private question), whether the writings answer it
(`answerable`: the question's names, figures and years against the passages), and whether
each sentence of a draft is supported by them (`grounding`). `chat` runs them in order."""
