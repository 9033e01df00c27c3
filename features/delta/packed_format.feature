Feature: The packed form: Parquet's DELTA_BINARY_PACKED
  The packed form follows Apache Parquet's DELTA_BINARY_PACKED encoding (Parquet format,
  Encodings.md). A header of ULEB128 varints gives the block size in values (128), the
  number of miniblocks per block (4, so 32 values each), the value count and the first
  value (zigzag-encoded, so small negative numbers stay small). Each block then stores its
  smallest delta, one bit width per miniblock, and the miniblocks: every delta minus the
  block's smallest delta, bit-packed with just enough bits for the largest of the miniblock.
  A block of equal deltas needs zero bits per value.

  Reading packed bytes from outside is reading untrusted input: damaged or hostile bytes are
  refused with an error that names what is wrong, and never crash, hang or allocate without
  bound.

  Scenario: The seed's prices in packed form, byte for byte
    Given the integer series 10050, 10075, 10060, 10110, 10090
    When the series is packed
    Then the packed header says block size 128, 4 miniblocks, 5 values, first value 10050
    And the packed first block has min delta -20 and bit widths 7, 0, 0, 0
    And the packed form takes 40 bytes
    And the packed form unpacks to the same series

  Scenario: Packed bytes you are given unpack to their series
    Given the packed bytes 80 01 04 03 02 02 00 00 00 00
    When the packed bytes are unpacked
    Then the decoded series is 1, 2, 3

  Rule: The output is bounded before anything is allocated

    Every block takes at least one byte for its min delta and one per miniblock, so a value count
    that the bytes cannot carry is refused at once; blocks hold at most 4096 values, so one byte
    stands for at most 2048 values; and a caller bounds the values one call decodes (max_values,
    1,048,576 unless the caller says otherwise).

    Scenario: A caller bounds how many values it will decode
      Given a regular timestamp series of 86400 values
      And the series is packed
      Then unpacking at most 1000 values fails with the value count error saying "more than max_values=1000"

    Scenario: A header promising more values than its bytes can carry is refused
      Given the packed bytes 80 01 04 e8 07 00 00 00 00 00
      Then unpacking fails with the value count error saying "promises 1000 values (8 blocks"

  Rule: Damaged packed bytes are refused with an error naming the problem

    Scenario Outline: A damaged packed form is refused: <damage>
      Given a stock price random walk series of 1000 values
      And the series is packed
      When the packed bytes are <damage>
      Then unpacking fails with the <error> error saying "<detail>"

      Examples:
        | damage                                     | error              | detail                              |
        | cut to 3 bytes                             | truncated data     | value count at byte 3               |
        | cut to 300 bytes                           | truncated data     | of block                            |
        | given a header promising 1000000000 values | value count        | promises 1000000000 values          |
        | given a bit width of 65 in the first block | corrupt data       | bit width over 64                   |
        | given a block size of 100                  | corrupt data       | block size 100 is not a multiple of 128 |
        | given a block size of 65536                | corrupt data       | over 4096 values                    |
        | replaced by 12 bytes of 0xff               | corrupt data       | runs past the 10 bytes              |

  Rule: Values the codec cannot hold exactly are refused

    Scenario Outline: Values of type <dtype> are refused: <reason>
      When the values <values> of type <dtype> are delta encoded
      Then encoding fails with the <error> error saying "<detail>"

      Examples:
        | values   | dtype      | reason                      | error             | detail               |
        | 1.5, 2.5 | float64    | floats need a scale         | missing scale     | fixed-point scale    |
        | 1, 2     | uint64     | uint64 does not fit int64   | unsupported dtype | uint64               |
        | 1, 2     | complex128 | not integers                | unsupported dtype | complex128           |

    Scenario: A price with more decimal places than the scale keeps is refused
      When the stock prices $100.505 are converted to cents
      Then encoding fails with the inexact scale error saying "more than 2 decimal place(s)"
