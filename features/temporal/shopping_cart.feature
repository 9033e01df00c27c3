Feature: The shopping cart that loses items, found by systematic exploration
  Temporal debugging (seed, day 13) is debugging across time: record when each event happened,
  in which task, what it caused and what the state was, so that bugs which appear only under
  some timings can be seen, explained and reproduced.

  The seed's example is a shopping cart that "sometimes loses items". Its addToCart and
  removeFromCart log their start at once and finish after a random delay (setTimeout with
  Math.random()). The user adds product1, adds product2 and removes product1; when the removal
  finishes before product1 has been added, it finds nothing to remove, and product1 then arrives:
  the cart keeps the item the user removed.

  Here the cart is Python asyncio and each delay is an `asyncio.sleep` on a controlled event loop
  in simulated time: no test waits. Run "in simulated time", the delays are honoured as given. The
  explorer instead treats every delay as unknown and runs the program once per interleaving of its
  tasks (stateless model checking); a schedule is the list of tasks chosen at each step, and
  replaying it repeats the run exactly. With dynamic partial-order reduction (Flanagan and
  Godefroid, POPL 2005; source sets and sleep sets, Abdulla et al., POPL 2014) only interleavings
  that differ in the order of conflicting steps are run.

  Where the seed is wrong, and what we show instead: its removeFromCart logs
  REMOVE_FROM_CART_COMPLETE only when it found the product, so in the very run it prints (removal
  first) that line cannot appear. Our cart always logs the completion and says whether it removed
  anything (removed = no); the figures of the seed's output (cart size 0, then 1, then 2) are
  reproduced exactly. Its ADD_TO_CART_DB_WRITE lines are logged but left out of its output; the
  tables below leave them out too. And the cart does not lose an item: it loses the removal.

  Background:
    Given the seed's shopping cart calls add product1, add product2 and remove product1

  Rule: The seed's run is reproduced, and exploration finds it even when the delays hide it

    @seed-example
    Scenario: With the seed's own delays the removal finishes first
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then the cart timeline reads:
        | at ms | event                     | product  | cart size | removed |
        | 0     | ADD_TO_CART_START         | product1 |           |         |
        | 0     | ADD_TO_CART_START         | product2 |           |         |
        | 0     | REMOVE_FROM_CART_START    | product1 |           |         |
        | 43    | REMOVE_FROM_CART_COMPLETE | product1 | 0         | no      |
        | 66    | ADD_TO_CART_COMPLETE      | product1 | 1         |         |
        | 87    | ADD_TO_CART_COMPLETE      | product2 | 2         |         |
      And the cart finally holds product1, product2
      And the race detector names REMOVE_FROM_CART_COMPLETE by remove-product1 and ADD_TO_CART_COMPLETE by add-product1
      And the seed's claim that the cart loses items is corrected: it keeps product1, which the user removed

    @seed-example
    Scenario: The explorer finds the lost removal that the usual delays hide
      Given the cart operations take 10 ms, 20 ms and 100 ms
      When the racy cart runs in simulated time
      Then the cart finally holds product2
      When the explorer runs every interleaving of the racy cart
      Then the explorer explored 90 interleavings
      And the explorer found 45 interleavings that lose the removal
      When the explored interleaving in which remove product1 completes first is replayed
      Then the cart timeline reads:
        | event                     | product  | cart size | removed |
        | ADD_TO_CART_START         | product1 |           |         |
        | ADD_TO_CART_START         | product2 |           |         |
        | REMOVE_FROM_CART_START    | product1 |           |         |
        | REMOVE_FROM_CART_COMPLETE | product1 | 0         | no      |
        | ADD_TO_CART_COMPLETE      | product1 | 1         |         |
        | ADD_TO_CART_COMPLETE      | product2 | 2         |         |
      And the cart finally holds product1, product2
      And the race detector names REMOVE_FROM_CART_COMPLETE by remove-product1 and ADD_TO_CART_COMPLETE by add-product1
      And replaying the recorded schedule again gives the same events in the same order

  Rule: Only ordering the operations per cart keeps the user's intent in every interleaving
    A lock makes each change of the items atomic, so the race detector is satisfied, but the
    removal can still take the lock before the addition it undoes: the bug is an order
    violation, not only a data race. A per-cart queue applies the operations in the order the
    user made them, so only one history is possible.

    Scenario Outline: The <variant> cart across every interleaving
      Given the cart operations take 10 ms, 20 ms and 100 ms
      When the explorer runs every interleaving of the <variant> cart
      Then the explorer explored <interleavings> interleavings
      And the explorer found <lost> interleavings that lose the removal
      And the race detector finds a race in <racy> of the explored interleavings
      When the explorer runs the <variant> cart with partial-order reduction
      Then the explorer explored <reduced> interleavings
      And the explorer found <lost reduced> interleavings that lose the removal

      Examples:
        | variant | interleavings | lost | racy | reduced | lost reduced |
        | racy    | 90            | 45   | 90   | 6       | 3            |
        | locked  | 90            | 45   | 0    | 6       | 3            |
        | ordered | 1             | 0    | 0    | 1       | 0            |

  Rule: Any way of using the cart can be written down and explored
    The user's calls are a table: the action, the product and how long the call takes. The same
    check applies: the cart must end as the calls, made in order, would leave it.

    Scenario: A user who adds a product, removes it and adds it again
      Given the shopping cart calls:
        | action | product  | delay ms |
        | add    | product1 | 10       |
        | remove | product1 | 30       |
        | add    | product1 | 20       |
      When the racy cart runs in simulated time
      Then the cart finally holds product1
      When the explorer runs the racy cart with partial-order reduction
      Then the explorer explored 6 interleavings
      And the explorer found 2 interleavings that lose the removal
