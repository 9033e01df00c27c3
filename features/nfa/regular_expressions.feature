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
  `[^...]`, POSIX classes inside brackets (`[[:alpha:]]`, `[[:^digit:]]`, ASCII as in RE2),
  concatenation, `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, `{,n}`, lazy forms such as `*?` (they
  change which match a backtracker reports, not whether there is one), groups `(...)` and `(?:...)`,
  anchors `^`, `$`, `\A` and `\Z`. As in RE2, `$` matches only at the very end of the text (Python's `$` also
  matches before a final newline; Python's `\Z` is ours). A malformed expression is refused with
  the position of the fault (for the faults Python's re also detects, the same position it
  reports); constructs outside the subset, such as lookahead, are refused the same way. Python's
  re has no POSIX classes (it reads `[[:upper:]]` as the set `[:uper` and then a literal `]`), so
  those scenarios do not compare with it.

  Every input costs a bounded amount of work: a pattern has at most 50,000 characters, groups nest
  at most 100 deep, a repetition count is at most 1,000, the NFA has at most 100,000 states and
  250,000 transitions on symbols (counted from the syntax tree before anything is built where it
  can be), and splitting the alphabet into classes visits at most 1,000,000 intervals. Compiling
  is linear in the expression's character sets: the classes come from partition refinement, each
  set splitting the classes it cuts, so a pattern of 4,000 distinct characters costs about 4,000
  steps (comparing every class with every set would cost 32 million).

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
        | a{,2}                 | aa               | matches          | is found        |
        | (?:ab)+?              | abab             | matches          | is found        |
        | \w+\s\d               | ab_1 7           | matches          | is found        |
        | [^\W\d]+              | ab_c             | matches          | is found        |
        | [^\W\d]+              | 42               | does not match   | is not found    |
        | \x41\t\.              | A\t.             | does not match   | is not found    |

      Examples: Anchors
        | expression            | text             | whole            | somewhere       |
        | ^ab                   | abc              | does not match   | is found        |
        | ^ab                   | cab              | does not match   | is not found    |
        | ab$                   | cab              | does not match   | is found        |
        | ab$                   | abc              | does not match   | is not found    |
        | ^$                    |                  | matches          | is found        |
        | a\|^b                 | cb               | does not match   | is not found    |
        | \Aab\Z                | ab               | matches          | is found        |
        | \Aab\Z                | cab              | does not match   | is not found    |

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

    Scenario: Finding the match enters each NFA state at most once per character
      Given the regular expression "(x?){20}x{20}"
      Then finding the match in "xxxxxxxxxxxxxxxxxxxx" costs at most 2 visits per NFA state and transition per character
      And the regular expression finds "xxxxxxxxxxxxxxxxxxxx" at 0 in "xxxxxxxxxxxxxxxxxxxx"

  Rule: grep: which lines contain a match, with the minimal search DFA stepped over every line at once

    The line matcher runs the minimal DFA of `.*(pattern).*` as a table over all lines together
    (one numpy step per column), after a prefilter: a string every match must contain is looked
    for with `str.find` first, and only the lines holding it go through the DFA (as RE2, grep and
    Hyperscan do).

    Scenario: The lines of a log with a timeout
      Given the regular expression "timeout after \d+ ms"
      When the lines below are searched:
        """
        12:00 GET /api/orders ok
        12:01 timeout after 30 ms
        12:02 timeout after ms
        12:03 retry; timeout after 1200 ms, giving up
        """
      Then the lines 2, 4 contain a match, and no others
      And every match contains the literal "timeout after "

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
        | a{1001}    | 1        | repetition count too large        |
        | [[:foo:]]  | 1        | unknown POSIX class [:foo:]       |
        | [[.a.]]    | 1        | collating elements                |
        | [[:digit:]-z] | 1     | bad character range               |

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

  Rule: POSIX classes name ASCII sets inside brackets, as in RE2

    `[[:name:]]` is the class, `[[:^name:]]` its complement, and a class combines with other
    items (`[[:upper:]_]`). An unknown name is refused at its position (see the syntax errors).

    Scenario Outline: Each POSIX class is an ASCII set
      Then the POSIX class "[:<name>:]" is the set "<set>"

      Examples:
        | name   | set               |
        | alnum  | [0-9A-Za-z]       |
        | alpha  | [A-Za-z]          |
        | ascii  | [\x00-\x7f]       |
        | blank  | [\t ]             |
        | cntrl  | [\x00-\x1f\x7f]   |
        | digit  | [0-9]             |
        | graph  | [!-~]             |
        | lower  | [a-z]             |
        | print  | [ -~]             |
        | punct  | [!-/:-@\[-`{-~]   |
        | space  | [\t-\r ]          |
        | upper  | [A-Z]             |
        | word   | [0-9A-Z_a-z]      |
        | xdigit | [0-9A-Fa-f]       |

    Scenario Outline: POSIX classes in expressions
      Given the regular expression "<expression>"
      Then the regular expression <whole> the whole of "<text>"

      Examples:
        | expression             | text   | whole          |
        | [[:upper:]_[:digit:]]+ | AB_9   | matches        |
        | [[:upper:]_[:digit:]]+ | aB     | does not match |
        | [[:^space:]]+          | a-b    | matches        |
        | [^[:alpha:]]           | 7      | matches        |
        | [[:upper]]             | u]     | matches        |

  Rule: Size and nesting are bounded, and a pattern over a bound is refused before the work grows

    Scenario Outline: Patterns over a size bound
      When the regular expression "<unit>" repeated <times> times is compiled
      Then the regular expression is refused as too large: more <what> than the limit of <limit>

      Examples:
        | unit                                                                                                     | times | what            | limit  |
        | a                                                                                                        | 50001 | characters      | 50000  |
        | (a{1000})                                                                                                | 101   | NFA states      | 100000 |
        | 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ........................................ | 100   | NFA transitions | 250000 |

    Scenario Outline: Groups nest at most 100 deep
      When the regular expression "ab" nested in <depth> groups is compiled
      Then the regular expression is refused at position <position> because "groups nested too deeply"

      Examples:
        | depth | position |
        | 101   | 100      |
        | 500   | 100      |

    Scenario: 100 groups deep is allowed
      When the regular expression "ab" nested in 100 groups is compiled
      Then the regular expression matches the whole of "ab"
