Feature: Delta encoding
  Delta encoding stores the first value of a sequence as it is, then only the difference
  (the delta) from each value to the next. Data that changes gradually (prices, sensor
  readings, timestamps) has small deltas, and small numbers need fewer bits to store or
  send. Decoding starts from the first value and adds the deltas back, one after another.

  Key properties (seed, day 1):
  - Reversible: the original sequence is rebuilt exactly, bit for bit.
  - Space efficient: differences are usually smaller than the values themselves.
  - Pattern exploitation: works best on sequential or time-series data.
  - Simple: the first value plus a sequence of changes.

  Here the deltas are computed on 64-bit integers in two's-complement arithmetic that wraps
  around, so every int64 sequence round-trips exactly, even where a difference overflows.
  Money is stored in fixed point (cents), because binary floating point cannot hold 100.60
  or 0.15 exactly. The seed's example needs a correction here: its float prices do round-trip
  through their own float deltas (the difference of two nearby floats is exact), but its printed
  deltas, added up as binary floats, end at 100.89999999999999 instead of 100.90. The packed
  form is Apache Parquet's DELTA_BINARY_PACKED encoding (see "The packed form" feature).

  Rule: Reversible: decoding gives back every value exactly

    @seed-example
    Scenario: The seed's stock prices, delta encoded in cents
      Given the stock prices $100.50, $100.75, $100.60, $101.10, $100.90
      When the prices are delta encoded in cents
      Then the delta encoded series is 10050, +25, -15, +50, -20
      And in dollars the delta encoded series reads $100.50, +$0.25, -$0.15, +$0.50, -$0.20
      And delta decoding gives back the stock prices exactly
      And the prices' own floating-point deltas decode back to the same prices
      And the seed's printed deltas, added up in binary floating point, end at 100.89999999999999 instead of the last price

    Scenario Outline: Any int64 series round-trips, overflowing deltas included
      Given the integer series <values>
      When the series is delta encoded
      Then the delta encoded series is <encoded>
      And delta decoding gives back the original series

      Examples: Ordinary series
        | values              | encoded           |
        | 1, 2, 3, 4          | 1, +1, +1, +1     |
        | 7                   | 7                 |
        | 500, 400, 450, 450  | 500, -100, +50, 0 |

      Examples: Deltas that overflow int64 wrap around and still decode exactly
        | values                                    | encoded                                   |
        | -9223372036854775808, 9223372036854775807 | -9223372036854775808, -1                  |
        | 9223372036854775807, -9223372036854775808 | 9223372036854775807, +1                   |
        | 0, 9223372036854775807, -9223372036854775808, 0 | 0, +9223372036854775807, +1, -9223372036854775808 |

    Scenario: A delta encoded series you are given decodes by adding the deltas back
      Given the delta encoded series 500, -100, +50, 0
      When the delta encoded series is decoded
      Then the decoded series is 500, 400, 450, 450

    Scenario: Delta encoded prices decode exactly in cents
      Given the delta encoded prices $100.50, +$0.25, -$0.15, +$0.50, -$0.20
      When the delta encoded prices are decoded in cents
      Then the decoded prices are $100.50, $100.75, $100.60, $101.10, $100.90

    Scenario: The same delta encoded prices drift when added up as binary floating-point numbers
      Given the delta encoded prices $100.50, +$0.25, -$0.15, +$0.50, -$0.20
      When the delta encoded prices are decoded as binary floating-point numbers
      Then the floating-point decoding gives 100.5, 100.75, 100.6, 101.1, 100.89999999999999

    Scenario: Binary floating-point deltas are not exact, fixed-point deltas are
      Given the stock prices $100.50, $100.75, $100.60, $101.10, $100.90
      When the prices are delta encoded as binary floating-point numbers
      Then 2 of the 4 floating-point deltas differ from the exact deltas
      And the floating-point delta from $100.75 to $100.60 is -0.15000000000000568
      And in cents the same delta is exactly -15

  Rule: Space efficient: small differences take fewer bits

    Scenario Outline: A <kind> series packs into fewer bytes than its raw int64 values
      Given a <kind> series of <count> values
      When the series is packed
      Then the packed form takes at most <at most> bytes per value
      And the packed form unpacks to the same series

      Examples:
        | kind                    | count  | at most |
        | regular timestamp       | 86400  | 0.05    |
        | jittered timestamp      | 86400  | 0.45    |
        | stock price random walk | 100000 | 0.85    |

    Scenario: Random values have no pattern, and packing them saves nothing
      Given a random int64 series of 1000 values
      When the series is packed
      Then the packed form takes at most 8.35 bytes per value
      And the packed form unpacks to the same series

    Scenario: Combined with zlib, deltas compress better than raw values
      Given a stock price random walk series of 100000 values
      When the series is stored raw, as deltas and packed, with and without zlib
      Then the deltas with zlib are smaller than the raw values with zlib
      And the packed form is smaller than the raw values with zlib

    Scenario: Timestamps described by their spacing pack to almost nothing
      Given a series of 86400 timestamps 60000 ms apart
      When the series is packed
      Then the packed form takes at most 0.06 bytes per value
      And the packed form unpacks to the same series

    Scenario: Timestamps described by their spacing and lateness
      Given a series of 86400 timestamps 1000 ms apart, each up to 3 ms late
      When the series is packed
      Then the packed form takes at most 0.45 bytes per value
      And the packed form unpacks to the same series

    Scenario: A random walk described by its start and its moves
      Given a random walk of 100000 values from 0, moving about 2 a step
      When the series is packed
      Then the packed form takes at most 0.55 bytes per value
      And the packed form unpacks to the same series

    Scenario: A series kind you describe with a table of settings
      Given a series of 10000 values described by:
        | setting | value    |
        | shape   | jittered |
        | start   | 0        |
        | step    | 3600     |
        | jitter  | 1        |
        | seed    | 11       |
      When the series is packed
      Then the packed form takes at most 0.3 bytes per value
      And the packed form unpacks to the same series

    Scenario: A named series kind with one setting changed
      Given a stock price random walk series of 100000 values with these settings:
        | setting    | value |
        | volatility | 1     |
      When the series is packed
      Then the packed form takes at most 0.45 bytes per value
      And the packed form unpacks to the same series

    Scenario Outline: A series kind named in the scenario, then used like a preset: <count> values
      Given a series kind "hourly meter reading" described by:
        | setting    | value       |
        | shape      | random walk |
        | start      | 120000      |
        | volatility | 40          |
        | minimum    | 0           |
        | seed       | 5           |
      And a hourly meter reading series of <count> values
      When the series is packed
      Then the packed form takes at most <at most> bytes per value
      And the packed form unpacks to the same series

      Examples:
        | count | at most |
        | 1000  | 1.1     |
        | 50000 | 1.05    |

  Rule: Pattern exploitation: regular data turns into runs of the same small number

    Scenario: Regular timestamps become zeros under delta-of-delta encoding
      Given a regular timestamp series of 86400 values
      When the series is delta-of-delta encoded
      Then every delta-of-delta after the first two values is 0
      And the packed delta-of-delta form takes at most 0.05 bytes per value

    Scenario: The deltas of the seed's prices show the trend at a glance
      Given the stock prices $100.50, $100.75, $100.60, $101.10, $100.90
      When the prices are delta encoded in cents
      Then the deltas show 2 rises and 2 falls
      And the largest move is +50 cents
