Feature: Common temporal issues, seen on a recorded timeline
  The seed names the issues temporal debugging is for: race conditions, timing-dependent bugs,
  memory leaks over time, performance degradation and state corruption in async systems. Each
  rule shows one of them as a small asyncio program on the controlled loop, and what the
  recorder, the race detector or the explorer shows about it.

  A race is two accesses to one object from different tasks, at least one a write, with no
  happens-before path between them (as ThreadSanitizer defines it); the detector needs only one
  run, even one whose result happens to be right.

  Rule: Race conditions are found in a run where nothing went wrong

    Scenario Outline: Counters incremented by <tasks> tasks, <locking>
      Given a counter program of <tasks> tasks incrementing <increments> times each <locking>
      When the counter program runs in simulated time
      Then the counter program returns <total>
      And the race detector reports <races> races on the counter

      Examples:
        | tasks | increments | locking        | total | races |
        | 2     | 2          | without a lock | 4     | 12    |
        | 2     | 2          | under a lock   | 4     | 0     |
        | 3     | 1          | without a lock | 3     | 9     |

  Rule: Timing-dependent bugs appear only under some schedules

    Scenario: A reader sees the cache marked ready before it is filled
      Given a cache warmer that marks the cache ready, then fills it after 10 ms, and a reader after 50 ms
      When the cache program runs in simulated time
      Then the cache reader sees prices
      When the explorer runs every interleaving of the cache program
      Then the explorer explored 6 interleavings
      And the explorer found 2 interleavings that show the cache ready but empty
      When the explorer runs the cache program with partial-order reduction
      Then the explorer explored 3 interleavings
      And the explorer found 1 interleaving that show the cache ready but empty
      When the first failing interleaving is replayed
      Then the cache reader sees ready but empty
      And the race detector names MARK_READY by warmer and READ by reader

  Rule: Memory leaks show as steady growth over the timeline

    Scenario Outline: Listeners over <requests> requests <fix>
      Given a subscription program serving <requests> requests 100 ms apart <fix>
      When the subscription program runs in simulated time
      Then the listeners grow by about <rate> per second over the timeline
      And the subscription program ends with <left> listeners

      Examples:
        | requests | fix                       | rate | left |
        | 20       | that never unsubscribes   | 10   | 20   |
        | 20       | that unsubscribes         | 0    | 0    |
        | 50       | that never unsubscribes   | 10   | 50   |

  Rule: Performance degradation shows as latency rising along the timeline

    Scenario Outline: Requests scanning a history that <history>
      Given a service handling <requests> requests in turn, each scanning a history that <history>
      When the service program runs in simulated time
      Then the request latency rises from <first> ms to <last> ms over the timeline

      Examples:
        | requests | history                   | first | last |
        | 20       | grows without bound       | 10    | 29   |
        | 20       | keeps the last 5 entries  | 10    | 15   |
        | 40       | keeps the last 10 entries | 10    | 20   |

  Rule: State corruption in async code: a read-modify-write across an await loses updates

    Scenario Outline: Writers that load, extend and save the stored cart, <locking>
      Given a stored cart that <writers> writers each load, extend and save <locking>
      When the explorer runs every interleaving of the stored cart
      Then the explorer explored <interleavings> interleavings
      And the explorer found <lost> interleavings that lose an item of the stored cart
      When the explorer runs the stored cart with partial-order reduction
      Then the explorer explored <traces> interleavings
      And the explorer found <lost traces> interleavings that lose an item of the stored cart

      Examples:
        | writers | locking        | interleavings | lost | traces | lost traces |
        | 2       | without a lock | 6             | 4    | 4      | 2           |
        | 2       | under a lock   | 4             | 0    | 4      | 0           |
        | 3       | without a lock | 90            | 84   | 36     | 30          |

    Scenario: The race detector names the load and the save that collide
      Given a stored cart that 2 writers each load, extend and save without a lock
      When the stored cart program runs in simulated time
      Then the race detector names LOAD by writer1 and SAVE by writer2

  Rule: Any shipped program runs under a schedule written down
    A schedule names the task that runs at each scheduling step; with "any:" a task waiting on a
    delay may wake at once. Every run attaches its schedule to the report, so one the explorer
    found can be copied into a scenario and replayed exactly.

    Scenario Outline: The stored cart under the schedule <schedule>
      Given a stored cart that 2 writers each load, extend and save without a lock
      When the stored cart runs under the schedule "<schedule>"
      Then the stored cart holds <items>

      Examples:
        | schedule                                            | items        |
        | any: main, writer1, writer1, writer2, writer2, main | item1, item2 |
        | any: main, writer1, writer2, writer1, writer2, main | item2        |
        | any: main, writer2, writer1, writer2, writer1, main | item1        |

    Scenario: The cache read between being marked ready and being filled
      Given a cache warmer that marks the cache ready, then fills it after 10 ms, and a reader after 50 ms
      When the cache program runs under the schedule "any: main, warmer, reader, reader, warmer, main"
      Then the cache reader sees ready but empty
      And the race detector names MARK_READY by warmer and READ by reader

    Scenario: The counter's tasks in the order a schedule gives
      Given a counter program of 2 tasks incrementing 2 times each without a lock
      When the counter program runs under the schedule "any: main, t2, t2, t1, t1, main"
      Then the counter program returns 4
      And the race detector reports 12 races on the counter

    Scenario: A schedule naming a task the program does not have is refused
      Given a stored cart that 2 writers each load, extend and save without a lock
      When the stored cart runs under the schedule "any: main, writer3"
      Then the scheduler refuses the schedule at step 1 naming writer3
