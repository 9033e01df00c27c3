Feature: The key properties of nondeterministic finite automata
  An NFA differs from a deterministic automaton in what δ returns: a *set* of states, possibly
  empty, possibly several, and possibly reached without reading anything (ε-moves). So the
  automaton is in a set of states at once, and it accepts a word if *any* of its paths over the
  word ends in an accept state (seed, day 7). Simulating it means carrying that set forward one
  symbol at a time: move every current state on the symbol, then follow ε-moves (the ε-closure).

  The seed lists "more expressive" among the properties; strictly, nondeterminism adds
  convenience and succinctness, not power: NFAs and DFAs recognise exactly the same languages
  (the regular ones). The subset construction (Rabin and Scott, 1959)
  turns every NFA into a DFA whose states are the sets of NFA states the simulation can be in,
  and Hopcroft's algorithm (1971) shrinks that DFA to the smallest one for the same language.
  The price can be exponential: the NFA for "the third symbol from the end is a" has four
  states, while every DFA for it needs eight.

  Rule: Several transitions: one state may move to several states on the same symbol

    Scenario: The NFA guesses which a is the last-but-one symbol
      Given an NFA over the alphabet a, b starting in p and accepting in r:
        | from | on | to   |
        | p    | a  | p, q |
        | p    | b  | p    |
        | q    | a  | r    |
        | q    | b  | r    |
      Then the NFA can move on a from p to the states p, q
      And the state diagram of the NFA is attached
      And the NFA accepts "bab"
      And the NFA rejects "abb"

  Rule: Epsilon moves: the automaton may change state without reading a symbol

    Scenario: The epsilon closure follows chains of epsilon moves
      Given an NFA over the alphabet a, b starting in s and accepting in f:
        | from | on | to |
        | s    | ε  | x  |
        | x    | ε  | y  |
        | y    | a  | f  |
        | s    | b  | f  |
      Then the epsilon closure of s in the NFA is s, x, y
      And the state diagram of the NFA is attached
      And the epsilon closure of y in the NFA is y
      And the NFA accepts "a"
      And the NFA accepts "b"
      And the NFA rejects ""

    Scenario: An optional part is an epsilon move around it
      Given an NFA over the alphabet a, b starting in s and accepting in f:
        | from | on | to |
        | s    | a  | m  |
        | s    | ε  | m  |
        | m    | b  | f  |
      Then the state diagram of the NFA is attached
      And the NFA accepts "ab"
      And the NFA accepts "b"
      And the NFA rejects "a"

  Rule: Several current states: the simulation carries the set of states every path could be in

    Scenario: The set of current states after each symbol
      Given an NFA over the alphabet a, b starting in p and accepting in r:
        | from | on | to   |
        | p    | a  | p, q |
        | p    | b  | p    |
        | q    | a  | r    |
        | q    | b  | r    |
      When the NFA reads "abab"
      Then after 1 symbols the NFA is in the states p, q
      And after 2 symbols the NFA is in the states p, r
      And after 3 symbols the NFA is in the states p, q
      And after 4 symbols the NFA is in the states p, r
      And the NFA was in at most 2 states at once
      And the NFA accepts the input

    Scenario: When every path dies the set of current states is empty
      Given an NFA over the alphabet a, b starting in s and accepting in f:
        | from | on | to |
        | s    | a  | f  |
      When the NFA reads "ab"
      Then after 1 symbols the NFA is in the states f
      And after 2 symbols the NFA is in no state at all
      And the NFA rejects the input

  Rule: Acceptance by any path: the word is accepted if at least one path ends in an accept state

    Scenario Outline: Of all the paths over a word, one accepting path is enough
      Given an NFA over the alphabet a, b starting in p and accepting in r:
        | from | on | to   |
        | p    | a  | p, q |
        | p    | b  | p    |
        | q    | a  | r    |
        | q    | b  | r    |
      Then the NFA has <paths> paths over "<word>", <accepting> of them accepting
      And the NFA <verdict> "<word>"

      Examples:
        | word | paths | accepting | verdict |
        | ab   | 2     | 1         | accepts |
        | aa   | 3     | 1         | accepts |
        | aaa  | 4     | 1         | accepts |
        | abb  | 2     | 0         | rejects |
        | b    | 1     | 0         | rejects |

  Rule: Every NFA has an equivalent DFA: the subset construction, then Hopcroft's minimisation

    Scenario: The guessing NFA determinised
      Given an NFA over the alphabet a, b starting in p and accepting in r:
        | from | on | to   |
        | p    | a  | p, q |
        | p    | b  | p    |
        | q    | a  | r    |
        | q    | b  | r    |
      When the NFA is determinised
      Then the DFA has 4 states and the minimal DFA 4
      And the DFA and the minimal DFA accept what the NFA accepts

    Scenario Outline: Subset construction and minimisation of expressions
      Given the regular expression "<expression>"
      When the regular expression is turned into a DFA
      Then the DFA has <dfa> states and the minimal DFA <minimal>
      And the DFA and the minimal DFA accept what the NFA accepts

      Examples: The a is the k-th symbol from the end, k = 2 to 5: the minimal DFA has 2^k states
        | expression       | dfa | minimal |
        | (a\|b)*a(a\|b)   | 5   | 4       |
        | (a\|b)*a(a\|b){2} | 9   | 8       |
        | (a\|b)*a(a\|b){3} | 17  | 16      |
        | (a\|b)*a(a\|b){4} | 33  | 32      |

      Examples: Other expressions
        | expression           | dfa | minimal |
        | [a-z]+@[a-z]+\.com   | 10  | 8       |
        | (a\|b)*abb           | 5   | 4       |
        | a*b*                 | 3   | 2       |
        | (ab\|a)*             | 3   | 2       |

  Rule: Equivalence of automata is decidable, with a shortest counterexample when they differ

    Scenario Outline: Two expressions for the same language, or not
      Then the regular expressions "<first>" and "<second>" are <verdict>

      Examples:
        | first      | second        | verdict        |
        | (a\|b)*    | (a*b*)*       | equivalent     |
        | a(ba)*     | (ab)*a        | equivalent     |
        | a{2,3}     | aaa?          | equivalent     |
        | a*         | (aa)*         | not equivalent |
        | [a-c]x     | ax\|bx\|cx    | equivalent     |
        | ^a$        | a             | equivalent     |

  Rule: An automaton is its description: the named examples are transition tables you could write yourself

    Every scenario above describes its automaton with a table (from, on, to; `ε` for an epsilon
    move, `a-z` for a range, several symbols comma separated). The named examples are the same
    descriptions, kept under a name: seed email, corrected email, last but one is a, third from
    the end is a, epsilon chain, optional a then b.

    Scenario: The example "third from the end is a" is this table
      Given the example NFA "third from the end is a"
      Then the NFA's transition table is:
        | from | on   | to   |
        | p    | a    | p, q |
        | p    | b    | p    |
        | q    | a, b | r    |
        | r    | a-b  | s    |
      And the NFA accepts "abb"
      And the NFA rejects "bab"

    Scenario: An automaton you describe yourself: the words that end in ab
      Given an NFA over the alphabet a, b starting in q0 and accepting in q2:
        | from | on   | to |
        | q0   | a, b | q0 |
        | q0   | a    | q1 |
        | q1   | b    | q2 |
      Then the NFA accepts "aab"
      And the NFA rejects "aba"
      And the NFA can move on a from q0 to the states q0, q1
      And the NFA's transition table is:
        | from | on  | to     |
        | q0   | a   | q0, q1 |
        | q0   | b   | q0     |
        | q1   | b   | q2     |

    Scenario Outline: The named examples determinised: the third symbol from the end needs 2^3 DFA states
      Given the example NFA "<example>"
      When the NFA is determinised
      Then the DFA has <dfa> states and the minimal DFA <minimal>
      And the DFA and the minimal DFA accept what the NFA accepts

      Examples:
        | example                 | dfa | minimal |
        | last but one is a       | 4   | 4       |
        | third from the end is a | 8   | 8       |
        | epsilon chain           | 2   | 2       |
        | optional a then b       | 3   | 3       |
        | corrected email         | 8   | 8       |
