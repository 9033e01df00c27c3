Feature: The seed's email automaton, built by hand and from its expression
  A nondeterministic finite automaton (NFA) is a 5-tuple (Q, Σ, δ, q₀, F): a finite set of
  states Q, an input alphabet Σ, a transition function δ : Q × (Σ ∪ {ε}) → P(Q) that returns a
  *set* of states, a start state q₀ ∈ Q and accept states F ⊆ Q (seed, day 7; Rabin and Scott,
  "Finite Automata and Their Decision Problems", 1959). An automaton is checked when it is built:
  a transition naming a state outside Q or a symbol outside Σ, a start state outside Q, or accept
  states outside Q are each refused with their own error.

  The seed's example, an NFA for simplified email addresses `[a-z]+@[a-z]+\.com`, is not valid as
  written: its transitions `('dot','c') → {'c'}`, `('c','o') → {'o'}` and `('o','m') → {'accept'}`
  use the states `c` and `o`, which its state set {start, username, at, domain, dot, com, accept}
  lacks (and it declares a state `com` that no transition uses). The corrected automaton declares
  `c` and `o`; `com` stays, unreachable. (The seed's Python is also not runnable: it mixes plain
  entries and a comprehension in one dict literal.) The corrected automaton accepts exactly what the
  expression `[a-z]+@[a-z]+\.com` accepts: its Thompson NFA, restricted to the same alphabet, is
  equivalent.

  Background:
    Given the NFA transitions are:
      | from     | on  | to       |
      | start    | a-z | username |
      | username | a-z | username |
      | username | @   | at       |
      | at       | a-z | domain   |
      | domain   | a-z | domain   |
      | domain   | .   | dot      |
      | dot      | c   | c        |
      | c        | o   | o        |
      | o        | m   | accept   |
    And the NFA declares the states start, username, at, domain, dot, com, accept
    And the NFA alphabet is a-z, @, .
    And the NFA starts in start and accepts in accept

  @seed-example
  Scenario: The seed's automaton is refused: its transitions use states it does not declare
    When the NFA is built
    Then the NFA is rejected because the states c, o are not declared

  @seed-example
  Scenario: The seed's automaton by name is the same table, refused the same way
    Given the example NFA "seed email"
    When the NFA is built
    Then the NFA is rejected because the states c, o are not declared

  @seed-example
  Scenario: The corrected automaton declares the states c and o
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    When the NFA is built
    Then the NFA is valid
    And the NFA state com is unreachable
    And the state diagram of the NFA is attached

  @seed-example
  Scenario: The corrected automaton is equivalent to the expression [a-z]+@[a-z]+\.com
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    And the regular expression "[a-z]+@[a-z]+\.com"
    When the NFA is built
    Then the NFA is equivalent to the regular expression

  @seed-example
  Scenario Outline: Addresses the automaton and the expression accept or reject
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    And the regular expression "[a-z]+@[a-z]+\.com"
    When the NFA is built
    Then the NFA <verdict> "<address>"
    And the regular expression <verdict> "<address>"

    Examples: Accepted
      | address              | verdict |
      | bob@mail.com         | accepts |
      | a@b.com              | accepts |
      | alice@example.com    | accepts |

    Examples: Rejected
      | address              | verdict |
      | bob@mail.org         | rejects |
      | bob@mail.co          | rejects |
      | @mail.com            | rejects |
      | bob@.com             | rejects |
      | bob.smith@mail.com   | rejects |
      | Bob@mail.com         | rejects |
      | bob@mail.com.com     | rejects |
      |                      | rejects |

  Scenario: The set of current states after each symbol of an address
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    When the NFA is built
    And the NFA reads "jo@ab.com"
    Then after 2 symbols the NFA is in the states username
    And after 5 symbols the NFA is in the states domain
    And after 9 symbols the NFA is in the states accept
    And the NFA accepts the input

  Scenario Outline: Each defect of the 5-tuple has its own error
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    And the NFA starts in <start> and accepts in <accepts>
    When the NFA is built
    Then the NFA is rejected because <part> is not in Q

    Examples:
      | start  | accepts        | part            |
      | begin  | accept         | the start state |
      | start  | accept, finish | an accept state |

  Scenario: A transition on a symbol outside the alphabet is refused
    Given the NFA declares the states start, username, at, domain, dot, com, accept, c, o
    And the NFA alphabet is a-z, @
    When the NFA is built
    Then the NFA is rejected because it reads symbols . outside its alphabet
