Feature: The key properties of a temporal debugger
  The seed lists five properties of temporal debugging: time-aware, sequence tracking, state
  evolution, async-friendly and historical context. Each rule below shows one of them on the
  seed's shopping cart, recorded by the temporal recorder.

  The recorder stamps every event with the monotonic time, the task (or thread) that produced it,
  a Lamport clock and a vector clock (Lamport, "Time, Clocks, and the Ordering of Events in a
  Distributed System", 1978; Fidge 1988; Mattern 1989). Causal edges join the tasks: task creation,
  awaiting a task (a plain await, asyncio.gather or a TaskGroup: the awaited task's end reaches the
  awaiting task through the loop's own wake-up), lock hand-over and queue put/get. Event a happens before event b exactly when a's
  vector clock is below b's; then a's Lamport clock is smaller too, but not conversely. Writes of a
  tracked object keep a snapshot of it, so the timeline answers "what was the cart at event 17?".

  Background:
    Given the seed's shopping cart calls add product1, add product2 and remove product1

  Rule: Time-aware: every event carries the time it happened

    Scenario Outline: The delays decide when each operation completes
      Given the cart operations take <add 1> ms, <add 2> ms and <remove> ms
      When the racy cart runs in simulated time
      Then the cart operations complete in the order <order>
      And the cart completions happen at <times> ms
      And the recorded times never decrease along the timeline

      Examples:
        | add 1 | add 2 | remove | order                                       | times       |
        | 66    | 87    | 43     | remove product1, add product1, add product2 | 43, 66, 87  |
        | 10    | 20    | 100    | add product1, add product2, remove product1 | 10, 20, 100 |
        | 30    | 5     | 50     | add product2, add product1, remove product1 | 5, 30, 50   |

  Rule: Sequence tracking: Lamport and vector clocks order the events across tasks

    Scenario: The user's calls come before every completion, the completions are concurrent
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then in the timeline ADD_TO_CART_START of product1 happens before REMOVE_FROM_CART_COMPLETE of product1
      And in the timeline REMOVE_FROM_CART_COMPLETE of product1 is concurrent with ADD_TO_CART_COMPLETE of product1
      And every ordered pair in the timeline has increasing Lamport clocks

    Scenario Outline: Synchronisation hands history from one task to the next
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the <variant> cart runs in simulated time
      Then in the timeline REMOVE_FROM_CART_COMPLETE of product1 <relation> ADD_TO_CART_COMPLETE of product1
      And the timeline has <count> causal edges of kind <kind>

      Examples:
        | variant | relation            | kind  | count |
        | racy    | is concurrent with  | spawn | 3     |
        | locked  | happens before      | lock  | 2     |
        | ordered | happens after       | queue | 4     |

    Scenario Outline: Awaiting a task <join> orders its events before what the awaiting task does next
      Given a fan-out program whose main task awaits 2 workers <join>
      When the fan-out program runs in simulated time
      Then the timeline has <joins> causal edges of kind join
      And the race detector reports <races> races in all

      Examples:
        | join            | joins | races |
        | one by one      | 2     | 0     |
        | with gather     | 2     | 0     |
        | in a task group | 2     | 0     |
        | by sleeping     | 0     | 2     |

  Rule: State evolution: the timeline says what an object held at any event

    Scenario Outline: The cart just after each completion
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then just after <event> of <product> the cart held <items>

      Examples:
        | event                     | product  | items              |
        | REMOVE_FROM_CART_COMPLETE | product1 | nothing            |
        | ADD_TO_CART_COMPLETE      | product1 | product1           |
        | ADD_TO_CART_COMPLETE      | product2 | product1, product2 |

    Scenario: What was the cart at event 17?
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then at event 17 the cart held product1, product2
      And at event 8 the cart held nothing

  Rule: Async-friendly: a controlled scheduler makes an interleaving a value that replays exactly

    Scenario: A schedule written down replays the same run
      Given the cart operations take 10 ms, 20 ms and 100 ms
      When the racy cart runs under the schedule "any: main, remove-product1, add-product1, add-product2, remove-product1, add-product1, add-product2, main"
      Then the cart finally holds product1, product2
      And replaying the recorded schedule again gives the same events in the same order

    Scenario: A schedule that does not fit the program is refused
      When the racy cart runs under the schedule "any: main, checkout"
      Then the scheduler refuses the schedule at step 1 naming checkout

    Scenario Outline: Threads are recorded like tasks
      When the recorder watches <threads> threads each increment a traced counter <increments> times <locking>
      Then the threaded counter reads <total>
      And the race detector reports <races> races on the counter

      Examples:
        | threads | increments | locking            | total | races |
        | 2       | 3          | under a lock       | 6     | 0     |
        | 2       | 3          | without a lock     | 6     | 27    |
        | 3       | 2          | under a lock       | 6     | 0     |

  Rule: Historical context: the timeline keeps the causes of every event

    Scenario: The final cart has every completion in its causal past
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then the causal past of CART_FINAL holds every cart start and completion

    Scenario: A race report names both events and where in the program they happened
      Given the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then the race detector reports 3 races on the cart
      And every cart race names both events with a stack inside _apply
