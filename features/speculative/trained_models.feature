Feature: Speculative decoding on trained byte-level models
  The same algorithm on models that learned from text: a target and a draft trained on the
  project's own feature files, its README and the seed document (models/corpus/), with one byte
  per token (vocabulary 256), so both models share the tokenizer. The target has 4 blocks of width
  192 with 16 heads (about 1.8 million weights); the draft 2 blocks of width 64 (about a twelfth
  of that). `make models` trains both from a fixed seed with JAX and writes safetensors files and a
  manifest (corpus hash, steps, losses); the scenarios only load them into the numpy transformer.

  The draft is distilled, as real drafts are (Zhou et al., "DistillSpec", 2024): trained on the
  same text to match the target's next-byte distributions (cross-entropy to the target's softmax)
  rather than the text's next byte. On 48 held-out prompts at gamma 4 that raised the acceptance
  rate from about 0.67 to 0.77 at temperature 1 and from 0.76 to 0.86 greedily. The models agree
  because the draft learned to predict the target, not because their weights were made to agree:
  the acceptance rate here measures how well a small model predicts a larger one. The models are
  small and trained for minutes, so the text they write is word-like rather than fluent; what
  matters is that the target's distribution, whatever it is, comes out unchanged.

  Background:
    Given the trained byte-level target and draft from the models folder

  Rule: The draft is a much smaller model with the target's tokenizer

    Scenario: The trained draft is about a tenth of the target
      Then the trained draft holds between 5% and 15% of the target's weights

  Rule: Round by round, as text

    Scenario: Continuing a rule's title by speculative sampling
      Given the text to continue is:
        """
        Rule: Two models: a cheap draft proposes, the target decides
        """
      When the target generates 64 tokens speculatively with the trained draft, gamma 4, at temperature 1
      Then the speculative rounds read as text: drafted bytes, the accepted ones and the target's own
      And the speculative acceptance rate alpha lies between 0.6 and 0.9

    Scenario: Greedy speculative decoding writes exactly the trained target's greedy text
      Given the text to continue is:
        """
        Feature: Speculative decoding drafts tokens cheaply and lets the target verify them
        """
      When the target generates 40 tokens speculatively with the trained draft, gamma 4, greedily
      Then the speculative rounds read as text: drafted bytes, the accepted ones and the target's own
      And the speculative tokens equal the target's own greedy tokens

  Rule: The measured acceptance rate feeds the formula

    Scenario: Tokens per target pass on the trained pair beside the formula
      Given the text to continue is:
        """
        Speculative decoding is a technique to speed up
        """
      When the target generates 72 tokens speculatively with the trained draft, gamma 3, at temperature 1
      Then the measured tokens per target pass is within 5% of the formula at the measured alpha
      And the speed-up against gamma is plotted for the measured alpha and cost ratio

  Rule: Prompt lookup copies what the text repeats

    Scenario: Continuing a scenario outline, prompt lookup drafts its repeated phrases
      Given the text to continue is:
        """
        Given the speculative target
        When the target generates
        Then the speculative
        """
      When the target generates 32 tokens speculatively with the prompt-lookup draft, gamma 4, greedily
      Then the speculative rounds read as text: drafted bytes, the accepted ones and the target's own
      And prompt lookup copied at least 8 accepted bytes from earlier in the text
      And the speculative tokens equal the target's own greedy tokens
