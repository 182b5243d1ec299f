/* SPDX-License-Identifier: MIT */
/*
 * Motorola MC146818A real-time clock plus RAM ("CMOS"), as found behind
 * ports 0x70/0x71 of every PC, with the optional second 128-byte bank of
 * later chipsets at ports 0x72/0x73.
 *
 * Ports (byte wide; the VMM splits wider accesses):
 *   0x70  write: bit 7 = NMI mask (a PC chipset latch, not part of the
 *         MC146818A; sc_rtc_nmi_masked()), bits 6:0 = register index.
 *         Reads return 0xff (the port is write-only on PC chipsets).
 *   0x71  data of the selected register.
 *   0x72  write: bank-2 index (bits 6:0); 0x73 bank-2 data.  Without
 *         cfg.bank2 both read 0xff and ignore writes.  Any other port reads
 *         0xff and ignores writes.
 *
 * Registers (MC146818A datasheet, "Address Map" and "Registers"):
 *   0..9   seconds, seconds alarm, minutes, minutes alarm, hours, hours
 *          alarm, day of week (1..7, Sunday = 1), date, month, year
 *   0x0a   A: UIP (read-only) | DV2-0 | RS3-0
 *   0x0b   B: SET PIE AIE UIE SQWE DM 24/12 DSE
 *   0x0c   C: IRQF PF AF UF (read-only, cleared by reading)
 *   0x0d   D: VRT (always 1: the battery of a virtual machine never fails)
 *   0x32   century (IBM AT convention, ACPI FADT CENTURY), same data mode
 *          as the other time bytes, carried into by year rollover
 *   others general-purpose RAM (the VMM fills it with sc_rtc_cmos_set())
 *
 * Time keeping.  The guest's time of day is not ticked: it is the host wall
 * clock (cfg.wall_ns, UTC ns since the epoch) plus an offset, and changes
 * exactly at the update boundaries of the divider chain, which are timed on
 * the virtual clock.  Writing time bytes (with SET=1, then clearing SET, or
 * directly while the clock runs) stores a new offset; the sub-second phase
 * of the divider is kept.  Leaving divider reset (DV=11x -> 010) restarts
 * the chain: the first update comes 500 ms later (datasheet, "DV2, DV1,
 * DV0").  The VMM's wall clock and virtual clock are expected to run at the
 * same rate; a step of the wall clock (NTP, migration, a paused VM) shows in
 * the time bytes from the next update on, rounded to the update grid.
 *
 * Model choices where the datasheet leaves things open:
 *   - UIP is 1 during [update - 244 us, update) of each update while the
 *     divider runs and SET=0 (the 244 us "tBUC" of table "Update cycle
 *     times"; the 1984 us update cycle itself takes no time here: the time
 *     bytes change and UF/AF are set at the update instant).
 *   - DV values other than 010 (other crystals, factory test) stop the
 *     divider like 11x: the VM's oscillator is 32.768 kHz.
 *   - The periodic flag follows the rising edge of the selected divider tap:
 *     with period P, PF is set at release + P/2 + k*P; the update (the 1 Hz
 *     tap) at release + 500 ms + k s.  PF is set at every boundary even
 *     with PIE=0, computed from virtual time.
 *   - Time bytes are not validated (the datasheet: results are undefined).
 *     They read back exactly as written until the next update; the update
 *     then works on the value decoded leniently: each BCD digit is weighted
 *     even when > 9, seconds/minutes/hours/date overflow into the next unit,
 *     month 0 or > 12 wraps into the year, 12-hour hours are taken mod 12.
 *     The day of week is a free-running counter: its offset from the
 *     calendar weekday as written is kept.
 *   - Changing DM or 24/12 does not convert the stored bytes (datasheet,
 *     "DM" and "24/12"); the time bytes are shown in the new format from the
 *     next update on.
 *   - DSE (daylight saving) and SQWE (no SQW pin) are stored only.
 *
 * Datasheet behaviours worth knowing: SET going high stops updates (the
 * divider and the periodic flag keep running), clears UIP and clears UIE
 * ("UIE": "the SET bit going high clears UIE"); UIE written while SET is
 * already 1 sticks.  Enabling an interrupt whose flag is already set raises
 * IRQ at once.
 *
 * IRQ output: the MC146818A IRQ# pin is open-drain, active low, asserted
 * while IRQF is set.  It is modelled as a level on the IRQ8 sc_line: high
 * while IRQF = (PF&PIE)|(AF&AIE)|(UF&UIE) is set, low after register C is
 * read; the board presents ISA IRQ 8 as an edge, so each C read re-arms it.
 *
 * Periodic interrupts go through a tick engine (sc_rtc_tick()); the
 * acknowledgement signal is the guest's read of register C after a
 * delivered periodic interrupt.  Fast rates are not whole nanoseconds
 * (1024 Hz = 976562.5 ns): at each delivery the chip re-aims the tick's
 * next period at the divider edge, so the engine's grid never drifts from
 * PF.
 *
 * Not thread-safe: the owner serialises calls, including the timer
 * callbacks (the update timer and the tick's timer).
 */
#ifndef SPLITCHIP_RTC_H
#define SPLITCHIP_RTC_H

#include <splitchip/clock.h>
#include <splitchip/tick.h>
#include <splitchip/types.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ports */
#define SC_RTC_PORT_INDEX        0x70
#define SC_RTC_PORT_DATA         0x71
#define SC_RTC_PORT_INDEX2       0x72
#define SC_RTC_PORT_DATA2        0x73
#define SC_RTC_PORT_NMI_MASK     0x80u   /* bit 7 of the 0x70 write */

/* Register indices (datasheet "Address Map") */
#define RTC_REG_SECONDS          0x00
#define RTC_REG_SECONDS_ALARM    0x01
#define RTC_REG_MINUTES          0x02
#define RTC_REG_MINUTES_ALARM    0x03
#define RTC_REG_HOURS            0x04
#define RTC_REG_HOURS_ALARM      0x05
#define RTC_REG_DAY_OF_WEEK      0x06
#define RTC_REG_DAY_OF_MONTH     0x07
#define RTC_REG_MONTH            0x08
#define RTC_REG_YEAR             0x09
#define RTC_REG_A                0x0a
#define RTC_REG_B                0x0b
#define RTC_REG_C                0x0c
#define RTC_REG_D                0x0d
#define RTC_REG_CENTURY          0x32

/* Register A */
#define RTC_REG_A_UIP            0x80u
#define RTC_REG_A_DV_MASK        0x70u
#define RTC_REG_A_DV_32K         0x20u   /* DV=010: 32.768 kHz time base */
#define RTC_REG_A_DV_RESET       0x60u   /* DV=11x: divider chain reset */
#define RTC_REG_A_RS_MASK        0x0fu

/* Register B */
#define RTC_REG_B_SET            0x80u
#define RTC_REG_B_PIE            0x40u
#define RTC_REG_B_AIE            0x20u
#define RTC_REG_B_UIE            0x10u
#define RTC_REG_B_SQWE           0x08u
#define RTC_REG_B_DM             0x04u   /* 1 = binary, 0 = BCD */
#define RTC_REG_B_24H            0x02u   /* 1 = 24-hour, 0 = 12-hour */
#define RTC_REG_B_DSE            0x01u

/* Register C */
#define RTC_REG_C_IRQF           0x80u
#define RTC_REG_C_PF             0x40u
#define RTC_REG_C_AF             0x20u
#define RTC_REG_C_UF             0x10u

/* Register D */
#define RTC_REG_D_VRT            0x80u

/* Hours byte in 12-hour mode: bit 7 = PM */
#define RTC_HOURS_PM             0x80u
/* Alarm byte 11xxxxxx: "don't care", matches every value */
#define RTC_ALARM_DONT_CARE      0xc0u

/* Power-up register values (what a PC BIOS programs) */
#define SC_RTC_RESET_REG_A       0x26u   /* 32.768 kHz, 1024 Hz rate */
#define SC_RTC_RESET_REG_B       0x02u   /* 24-hour, BCD */

#define SC_RTC_CMOS_SIZE         128u

struct sc_rtc_config {
	/* Host wall clock, UTC ns since the epoch.  Required. */
	uint64_t (*wall_ns)(void *opaque);
	void *wall_opaque;
	/* Second bank of 128 bytes at ports 0x72/0x73. */
	bool bank2;
	/* Initial guest RTC time minus wall clock, seconds (0: the RTC keeps
	 * UTC; a VMM passes the local UTC offset for local-time guests). */
	int64_t offset_s;
	/* Lost-tick policy of the periodic interrupt. */
	enum sc_tick_policy policy;
};

struct sc_rtc {
	struct sc_clock *clock;
	struct sc_line irq8;
	struct sc_trace trace;
	uint64_t (*wall_ns)(void *opaque);
	void *wall_opaque;
	bool bank2_enabled;

	uint8_t index;             /* port 0x70 bits 6:0 */
	uint8_t index2;            /* port 0x72 bits 6:0 */
	bool nmi_masked;           /* port 0x70 bit 7 */
	bool irq_level;            /* IRQ8 line as last driven */

	/* Registers and RAM.  Bytes 0..9 and 0x32 hold the time "as written
	 * or latched" (valid while raw_valid); A holds DV/RS (UIP computed),
	 * C holds PF/AF/UF (IRQF computed), D is constant. */
	uint8_t cmos[SC_RTC_CMOS_SIZE];
	uint8_t bank2[SC_RTC_CMOS_SIZE];

	/* Time: guest seconds = round((wall - since_last_update + off_ns)
	 * / 1e9) + off_s, advancing only at update boundaries. */
	int64_t off_s;
	int64_t off_ns;            /* 0 .. 1e9-1 */
	bool raw_valid;            /* no update since the time bytes were
				    * written or latched */
	uint8_t dow_adj;           /* day-of-week register minus weekday, mod 7 */

	/* Divider chain: released (started counting) at virtual time
	 * div_base; updates at div_base + 0.5 s + k s. */
	int64_t div_base;
	uint64_t sync_vt;          /* flags accounted up to this virtual time */

	struct sc_timer update_timer;  /* next update while UIE or AIE */
	struct sc_tick tick;           /* periodic interrupt */
	bool pf_delivered;         /* a periodic interrupt awaits its C read */
};

/* Returns 0, or -EINVAL if a pointer or cfg->wall_ns is missing. */
int sc_rtc_init(struct sc_rtc *rtc, struct sc_clock *clock,
		const struct sc_rtc_config *cfg, const struct sc_line *irq8,
		const struct sc_trace *trace);

/* Cancel the update timer and stop the periodic tick (before the chip's
 * memory or its clock goes away). */
void sc_rtc_destroy(struct sc_rtc *rtc);

uint8_t sc_rtc_ioport_read(struct sc_rtc *rtc, uint16_t port);
void sc_rtc_ioport_write(struct sc_rtc *rtc, uint16_t port, uint8_t val);

/* NMI mask latch (port 0x70 bit 7): true = NMIs blocked. */
bool sc_rtc_nmi_masked(const struct sc_rtc *rtc);

/*
 * VMM access to the RAM bytes: index 0x0e..0x7f except 0x32 (bank 1) and
 * 0x80..0xff (bank 2, when enabled).  The clock registers and the century
 * are not RAM: -EINVAL, like any other bad index.
 */
int sc_rtc_cmos_set(struct sc_rtc *rtc, unsigned index, uint8_t val);
int sc_rtc_cmos_get(const struct sc_rtc *rtc, unsigned index, uint8_t *val);

/* Lost-tick policy of the periodic interrupt; -EINVAL on a bad policy. */
int sc_rtc_set_policy(struct sc_rtc *rtc, enum sc_tick_policy policy);
struct sc_tick *sc_rtc_tick(struct sc_rtc *rtc);
/* The vCPU that takes IRQ8 (update timer and periodic tick). */
void sc_rtc_set_affinity(struct sc_rtc *rtc, int vcpu);

/* ---- save/restore ---- */
struct sc_rtc_state_v1 {
	uint32_t version;          /* 1 */
	uint8_t index;
	uint8_t index2;
	uint8_t nmi_masked;
	uint8_t irq_level;
	uint8_t cmos[SC_RTC_CMOS_SIZE];
	uint8_t bank2[SC_RTC_CMOS_SIZE];
	uint8_t bank2_enabled;
	uint8_t raw_valid;
	uint8_t pf_delivered;
	uint8_t dow_adj;
	uint32_t pad;
	int64_t off_s;
	int64_t off_ns;
	int64_t div_base;
	uint64_t sync_vt;
	uint64_t update_deadline;  /* absolute virtual ns; 0 = not armed */
	struct sc_tick_state_v1 tick;
};

void sc_rtc_save(const struct sc_rtc *rtc, struct sc_rtc_state_v1 *s);
int sc_rtc_validate(const struct sc_rtc_state_v1 *s);
/* Validates first (and that bank2 matches the chip); -EINVAL leaves the
 * chip untouched.  Drives IRQ8 to the restored level. */
int sc_rtc_restore(struct sc_rtc *rtc, const struct sc_rtc_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
