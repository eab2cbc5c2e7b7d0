"""Answering a question, stage by stage; `pipeline` runs them in order and yields events.

- `policy`: answer or abstain (the evidence, its named thresholds, the refusals' words),
  with the checks it calls: `classify` (a question to the author, a task for an assistant, a
  private question) and `answerable` (the question's names, figures and years against the
  passages);
- `followup`: a follow-up rewritten as a question that stands alone;
- `when`: the time a question asks about, the evidence ordered by it; `writings`: the
  writings on the question's subject over time and languages, and the newest of them;
- `prompt`: the prompt, fitted to the model's window; `voice`: persona card, examples of form;
- `grounding`: each sentence of a draft against the passages;
- `standin`: the author's own words in place of a draft cut whole, or after an answer about
  now that strayed from the point's newest writing;
- `citations`: [n] markers checked, attribution, citations, the author's sentence quoted.

`erre.chat` is the entry point the channels use."""
