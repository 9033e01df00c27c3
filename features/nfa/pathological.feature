Feature: Pathological expressions take linear time
  A backtracking matcher (Perl, Python's re, Java) tries the choices of an expression one path
  at a time. For (a?){n}a{n} against the text a{n} (the first example of Russ Cox, "Regular
  Expression Matching Can Be Simple And Fast", 2007) each a? may or may not take an a, and only
  the path where none does succeeds: the backtracker explores about 2^n paths, and each extra a
  about doubles Python's re's time (around a second at n = 25 on a quiet machine, over half a
  minute by n = 30; see benchmarks/nfa.py).

  The NFA simulation explores them all at once: it reads each of the n symbols exactly once and
  carries a set of current states that is never larger than the NFA, whose size is linear in n
  (6n + 4 states here). The work per symbol is bounded by the NFA's size, so there is no
  exponential blow-up. The lazy DFA builds one state per symbol read, n + 1 in all, and later
  texts reuse them. Search with a position (where is the leftmost-longest match) costs the same:
  every current state remembers the earliest start of a path reaching it, and each character
  enters each state at most once, so the work is linear in the text times the automaton, as RE2
  guarantees; the scenarios count those visits. Timings against re and RE2 are in the benchmark
  (benchmarks/nfa.py), since the specification makes no timed claims.

  Rule: The set of current states and the lazy DFA stay linear in n

    Scenario Outline: (a?){n}a{n} against a{n}
      Then the NFA of the pathological expression matches a{<n>} reading each symbol once
      And the NFA of the pathological expression has <NFA states> states and is never in more than <at once> at once
      And the lazy DFA of the pathological expression built <lazy states> states
      And finding its match in a{<n>} costs at most 2 visits per NFA state and transition per character

      Examples:
        | n   | NFA states | at once | lazy states |
        | 1   | 10         | 7       | 2           |
        | 5   | 34         | 23      | 6           |
        | 10  | 64         | 43      | 11          |
        | 20  | 124        | 83      | 21          |
        | 30  | 184        | 123     | 31          |
        | 100 | 604        | 403     | 101         |
