Feature: Regular expressions compiled to automata and matched in linear time
  A regular expression is parsed into a syntax tree and turned into an NFA by Thompson's
  construction (Ken Thompson, "Regular expression search algorithm", CACM 1968): each character
  set becomes one transition, concatenation links fragments by ε-moves, alternation and the
  repetitions `*`, `+`, `?`, `{m,n}` add ε-moves around them. The NFA has a number of states
  linear in the expression, so simulating it over the set of current states takes time
  proportional to the text times the expression, never exponential (Russ Cox, "Regular
  Expression Matching Can Be Simple And Fast", 2007).

  Matching uses a lazy DFA: the subset construction done on demand, one DFA state per new set of
  NFA states met in the text, kept in a cache of bounded size; when the cache is full, the rest of
  the text is matched by simulating the NFA (as RE2 does). Search ("does the pattern occur
  somewhere") is a full match of `.*(pattern).*`, stopping as soon as a match is certain.

  The supported subset: literals, escapes (`\.`, `\n`, `\t`, `\xhh`, and the ASCII classes `\d \w \s`
  with their negations), `.` (any character but a newline), classes `[a-z]` and negated classes
  `[^...]`, concatenation, `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, groups `(...)` and `(?:...)`,
  anchors `^` and `$`. As in RE2, `$` matches only at the very end of the text (Python's `$` also
  matches before a final newline; Python's `\Z` is ours). A malformed expression is refused with
  the position of the fault (for the faults Python's re also detects, the same position it
  reports); constructs outside the subset, such as lookahead, are refused the same way.

  The alphabet of a compiled expression is a set of character classes, not characters: for
  `[a-z]+@[a-z]+\.com` they are `c`, `m`, `o`, `@`, `.`, the other lower-case letters, and
  everything else, so the automata stay small whatever the text's alphabet.

  Rule: Full match and search agree with Python's re

    Scenario Outline: Matching whole texts and searching inside them
      Given the regular expression "<expression>"
      Then the regular expression <whole> the whole of "<text>"
      And the regular expression <somewhere> in "<text>"
      And Python's re agrees with the regular expression on "<text>"

      Examples: Literals, classes and repetition
        | expression            | text             | whole            | somewhere       |
        | abc                   | abc              | matches          | is found        |
        | abc                   | xabcx            | does not match   | is found        |
        | a.c                   | a-c              | matches          | is found        |
        | [a-z]+@[a-z]+\.com    | bob@mail.com     | matches          | is found        |
        | [a-z]+@[a-z]+\.com    | to: bob@mail.com | does not match   | is found        |
        | [^0-9]+               | abc              | matches          | is found        |
        | [^0-9]+               | 123              | does not match   | is not found    |
        | \d{3}-\d{4}           | 555-1234         | matches          | is found        |
        | colou?r               | color            | matches          | is found        |
        | (ab)+                 | ababab           | matches          | is found        |
        | (ab)+                 | ababa            | does not match   | is found        |
        | a{2,3}                | aaaa             | does not match   | is found        |
        | a{2,}                 | aaaaaaa          | matches          | is found        |
        | x*                    |                  | matches          | is found        |
        | (cat\|dog)s?          | dogs             | matches          | is found        |
        | (cat\|dog)s?          | cow              | does not match   | is not found    |

      Examples: Anchors
        | expression            | text             | whole            | somewhere       |
        | ^ab                   | abc              | does not match   | is found        |
        | ^ab                   | cab              | does not match   | is not found    |
        | ab$                   | cab              | does not match   | is found        |
        | ab$                   | abc              | does not match   | is not found    |
        | ^$                    |                  | matches          | is found        |
        | a\|^b                 | cb               | does not match   | is not found    |

  Rule: Search reports the leftmost-longest match

    Where several matches start at the leftmost possible position, an automaton naturally
    reports the longest (the POSIX rule); Python's re, a backtracker, reports the one its first
    alternative gives (leftmost-first). Both always agree on where the match starts.

    Scenario Outline: Where the match is
      Given the regular expression "<expression>"
      Then the regular expression finds "<match>" at <start> in "<text>"

      Examples:
        | expression         | text                  | match        | start |
        | [a-z]+@[a-z]+\.com | mail bob@mail.com now | bob@mail.com | 5     |
        | a\|ab              | xab                   | ab           | 1     |
        | a*                 | baaa                  |              | 0     |
        | b+                 | abbbc                 | bbb          | 1     |
        | (ab\|a)(bc)?       | abc                   | abc          | 0     |
        | c$                 | cbc                   | c            | 2     |

    Scenario: No match anywhere
      Given the regular expression "x+y"
      Then the regular expression finds nothing in "xxxx"

  Rule: A malformed expression is refused with the position of the fault

    Scenario Outline: Syntax errors say where and why
      When the regular expression "<expression>" is compiled
      Then the regular expression is refused at position <position> because "<reason>"

      Examples:
        | expression | position | reason                            |
        | *a         | 0        | nothing to repeat                 |
        | a**        | 2        | multiple repeat                   |
        | (ab        | 0        | missing ), unterminated subpattern |
        | ab)        | 2        | unbalanced parenthesis            |
        | [a-        | 0        | unterminated character set        |
        | [z-a]      | 1        | bad character range               |
        | a{3,2}     | 2        | min repeat greater than max repeat |
        | \q         | 0        | bad escape \q                     |
        | (?=a)      | 1        | unsupported group extension       |
        | \1         | 0        | backreferences are not supported  |

  Rule: Thompson's construction gives an NFA whose picture shows the expression's structure

    Scenario: The NFA of the seed's email expression, and its run over an address
      Given the regular expression "[a-z]+@[a-z]+\.com"
      Then the state diagram of the regular expression's NFA is attached
      And the current states of the regular expression's NFA reading "jo@ab.com" are attached

    Scenario: Anchors are moves allowed only at the ends of the text
      Given the regular expression "(^|x)a*$|b"
      Then the state diagram of the regular expression's NFA is attached
      And the regular expression matches the whole of "aaa"
      And the regular expression does not match the whole of "ya"

  Rule: The lazy DFA builds only the states a text needs, and falls back to the NFA when its cache is full

    Scenario: The lazy DFA builds one state per new set of NFA states
      Given the regular expression "(a|b)*a(a|b){3}"
      When the lazy DFA matches "abababab"
      Then the lazy DFA accepts it, agreeing with the NFA
      And the lazy DFA built 5 states and fell back to the NFA 0 time(s)

    Scenario: A full cache hands the rest of the text to the NFA simulation
      Given the regular expression "(a|b)*a(a|b){8}" with a lazy DFA cache of 4 states
      When the lazy DFA matches "abababababababababababababababababababab"
      Then the lazy DFA rejects it, agreeing with the NFA
      And the lazy DFA built 4 states and fell back to the NFA 1 time(s)
