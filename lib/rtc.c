/* SPDX-License-Identifier: MIT */
/*
 * Motorola MC146818A real-time clock plus RAM.  See include/splitchip/rtc.h
 * for the model; section names below are those of the MC146818A datasheet.
 *
 * Nothing here ticks.  Three things are computed from virtual time:
 *   - the divider chain position: the 32.768 kHz count since the chain left
 *     reset (div_base), from which UIP, the update instants and the
 *     periodic-flag instants follow;
 *   - the flags of register C, accounted lazily by rtc_sync() for every
 *     update / periodic boundary in (sync_vt, now] with the configuration
 *     that held over that interval (every configuration change syncs first);
 *   - the time of day, from the host wall clock plus an offset (off_s,
 *     off_ns) chosen so that the guest's seconds change exactly at update
 *     instants.
 * The IRQ8 line is driven only at interrupt-producing events: the update
 * timer (armed while UIE or AIE is set), a periodic tick delivered by the
 * tick engine, writes to register B and reads of register C.
 */
#include <splitchip/rtc.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define NS_PER_SEC      1000000000ll
#define HALF_SEC_NS     500000000ll
#define OSC_HZ          32768u          /* 32.768 kHz time base */
#define UPD_HALF        16384u          /* update: 1 Hz tap rising edge */
#define UPD_PERIOD      32768u
#define UIP_COUNTS      8u              /* tBUC = 244 us = 8 / 32768 s */
#define SECS_PER_DAY    86400ll
#define OFF_S_LIMIT     (1ll << 41)     /* sane offset bound for restore */
#define CFG_OFF_LIMIT   (1ll << 40)     /* init offset: +-35000 years */

_Static_assert(sizeof(struct sc_rtc_state_v1) == 4 + 4 + 256 + 4 + 4 + 40 + 80,
	       "sc_rtc_state_v1 has no implicit padding");
_Static_assert(offsetof(struct sc_rtc_state_v1, off_s) == 272,
	       "sc_rtc_state_v1 layout");
_Static_assert(offsetof(struct sc_rtc_state_v1, tick) == 312,
	       "sc_rtc_state_v1 layout");
_Static_assert(RTC_REG_D < RTC_REG_CENTURY && RTC_REG_CENTURY < SC_RTC_CMOS_SIZE,
	       "century byte lies in general-purpose RAM");

/* ------------------------------------------------------------ arithmetic */

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t floormod(int64_t a, int64_t b)
{
	return a - floordiv(a, b) * b;
}

/*
 * Proleptic Gregorian calendar <-> days since 1970-01-01.  March-based years
 * put the leap day last; a 400-year era has 146097 days.
 */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	if (m <= 2)
		y -= 1;
	int64_t era = floordiv(y, 400);
	int64_t yoe = y - era * 400;                             /* 0..399 */
	int64_t mp = m > 2 ? m - 3 : m + 9;                      /* Mar = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;                /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* 0..146096 */
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday0(int64_t days)
{
	return (int)floormod(days + 4, 7);
}

/* --------------------------------------------------------- data formats */

static bool mode_binary(const struct sc_rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_REG_B_DM;
}

static bool mode_24h(const struct sc_rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_REG_B_24H;
}

/* "Time, Calendar and Alarm Data Modes": BCD or binary.  @v in 0..99. */
static uint8_t enc(const struct sc_rtc *rtc, int64_t v)
{
	if (mode_binary(rtc))
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Lenient decode: a BCD digit above 9 still weighs 1 or 10. */
static int64_t dec(const struct sc_rtc *rtc, uint8_t b)
{
	if (mode_binary(rtc))
		return b;
	return (b >> 4) * 10 + (b & 0x0f);
}

static uint8_t enc_hour(const struct sc_rtc *rtc, int64_t h24)
{
	if (mode_24h(rtc))
		return enc(rtc, h24);
	/* 12-hour mode: 12 AM is 12, bit 7 = PM ("Hours" in table 3). */
	int64_t h12 = h24 % 12 ? h24 % 12 : 12;
	return (uint8_t)(enc(rtc, h12) | (h24 >= 12 ? RTC_HOURS_PM : 0));
}

static int64_t dec_hour(const struct sc_rtc *rtc, uint8_t b)
{
	if (mode_24h(rtc))
		return dec(rtc, b);
	return dec(rtc, b & 0x7f) % 12 + ((b & RTC_HOURS_PM) ? 12 : 0);
}

/* Time byte @idx (a time register) of guest time @secs (s since 1970). */
static uint8_t time_byte(const struct sc_rtc *rtc, int64_t secs, unsigned idx)
{
	int64_t days = floordiv(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	int64_t y;
	int m, d;

	switch (idx) {
	case RTC_REG_SECONDS:
		return enc(rtc, sod % 60);
	case RTC_REG_MINUTES:
		return enc(rtc, sod / 60 % 60);
	case RTC_REG_HOURS:
		return enc_hour(rtc, sod / 3600);
	case RTC_REG_DAY_OF_WEEK:
		return enc(rtc, floormod(weekday0(days) + rtc->dow_adj, 7) + 1);
	default:
		break;
	}
	civil_from_days(days, &y, &m, &d);
	switch (idx) {
	case RTC_REG_DAY_OF_MONTH:
		return enc(rtc, d);
	case RTC_REG_MONTH:
		return enc(rtc, m);
	case RTC_REG_YEAR:
		return enc(rtc, floormod(y, 100));
	default:        /* RTC_REG_CENTURY */
		return enc(rtc, floormod(floordiv(y, 100), 100));
	}
}

static const uint8_t time_regs[] = {
	RTC_REG_SECONDS, RTC_REG_MINUTES, RTC_REG_HOURS, RTC_REG_DAY_OF_WEEK,
	RTC_REG_DAY_OF_MONTH, RTC_REG_MONTH, RTC_REG_YEAR, RTC_REG_CENTURY,
};

/* Time bytes of guest time @secs into cmos[]. */
static void format_time(struct sc_rtc *rtc, int64_t secs)
{
	for (unsigned i = 0; i < sizeof(time_regs); i++)
		rtc->cmos[time_regs[i]] = time_byte(rtc, secs, time_regs[i]);
}

/*
 * Guest time of the time bytes, decoded leniently (see rtc.h); also records
 * the day-of-week register's offset from the calendar weekday.
 */
static int64_t parse_time(struct sc_rtc *rtc)
{
	const uint8_t *c = rtc->cmos;
	int64_t y = dec(rtc, c[RTC_REG_YEAR]) + 100 * dec(rtc, c[RTC_REG_CENTURY]);
	int64_t m0 = dec(rtc, c[RTC_REG_MONTH]) - 1;
	y += floordiv(m0, 12);
	int64_t days = days_from_civil(y, floormod(m0, 12) + 1, 1) +
		       dec(rtc, c[RTC_REG_DAY_OF_MONTH]) - 1;
	int64_t secs = days * SECS_PER_DAY + dec_hour(rtc, c[RTC_REG_HOURS]) * 3600 +
		       dec(rtc, c[RTC_REG_MINUTES]) * 60 + dec(rtc, c[RTC_REG_SECONDS]);
	int64_t dow = dec(rtc, c[RTC_REG_DAY_OF_WEEK]) - 1;
	rtc->dow_adj = (uint8_t)floormod(dow - weekday0(days), 7);
	return secs;
}

/* --------------------------------------------------------- divider chain */

/* "DV2, DV1, DV0": only 010 runs the chain for a 32.768 kHz crystal. */
static bool dv_running(uint8_t reg_a)
{
	return (reg_a & RTC_REG_A_DV_MASK) == RTC_REG_A_DV_32K;
}

static bool updating(const struct sc_rtc *rtc)
{
	return dv_running(rtc->cmos[RTC_REG_A]) && !(rtc->cmos[RTC_REG_B] & RTC_REG_B_SET);
}

/* Oscillator periods counted since the chain left reset. */
static uint64_t osc_count(const struct sc_rtc *rtc, uint64_t t)
{
	int64_t d = (int64_t)t - rtc->div_base;
	if (d <= 0)
		return 0;
	return sc_muldiv64((uint64_t)d, OSC_HZ, (uint64_t)NS_PER_SEC);
}

/* Virtual time at which the count reaches @c. */
static uint64_t osc_time(const struct sc_rtc *rtc, uint64_t c)
{
	unsigned __int128 ns = ((unsigned __int128)c * NS_PER_SEC + OSC_HZ - 1) / OSC_HZ;
	unsigned __int128 t = (unsigned __int128)(__int128)rtc->div_base + ns;
	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* Rising edges of a tap with period @p counts (first at @p/2) up to @c. */
static uint64_t edges(uint64_t c, uint64_t p)
{
	return c < p / 2 ? 0 : (c - p / 2) / p + 1;
}

/*
 * "RS3, RS2, RS1, RS0" (periodic interrupt rate table, 32.768 kHz column):
 * RS=1, 2 give 256 and 128 Hz (the taps of 8 and 9); 3..15 give
 * 2^(RS-1) / 32768 s.  Period in oscillator counts; 0 = none.
 */
static uint64_t rate_counts(uint8_t reg_a)
{
	unsigned rs = reg_a & RTC_REG_A_RS_MASK;
	if (rs == 0)
		return 0;
	if (rs <= 2)
		rs += 7;
	return 1ull << (rs - 1);
}

static uint64_t rate_ns(uint8_t reg_a)
{
	uint64_t p = rate_counts(reg_a);
	return (p * (uint64_t)NS_PER_SEC + OSC_HZ / 2) / OSC_HZ;
}

/* ns since the last update instant (the one before release: -0.5 s). */
static int64_t since_update(const struct sc_rtc *rtc, uint64_t now)
{
	int64_t d = (int64_t)now - rtc->div_base;
	if (d < 0)
		d = 0;
	return (d + HALF_SEC_NS) % NS_PER_SEC;
}

/* ------------------------------------------------------------ time keeping */

struct wall_split {
	int64_t secs;
	int64_t ns;
};

static struct wall_split wall_now(const struct sc_rtc *rtc)
{
	uint64_t w = rtc->wall_ns(rtc->wall_opaque);
	return (struct wall_split){ (int64_t)(w / NS_PER_SEC), (int64_t)(w % NS_PER_SEC) };
}

/* Guest seconds now (valid while updating). */
static int64_t guest_secs(const struct sc_rtc *rtc, uint64_t now)
{
	struct wall_split w = wall_now(rtc);
	int64_t x = w.ns - since_update(rtc, now) + rtc->off_ns;  /* -1e9 .. 2e9 */
	return w.secs + rtc->off_s + floordiv(x + HALF_SEC_NS, NS_PER_SEC);
}

/* Choose the offset so that guest_secs(now) == @secs, phase kept. */
static void set_offset(struct sc_rtc *rtc, uint64_t now, int64_t secs)
{
	struct wall_split w = wall_now(rtc);
	int64_t since = since_update(rtc, now);
	rtc->off_ns = floormod(since - w.ns, NS_PER_SEC);
	int64_t q = (w.ns - since + rtc->off_ns) / NS_PER_SEC;   /* 0 or 1 */
	rtc->off_s = secs - w.secs - q;
}

/* Freeze the current time into the time bytes. */
static void latch(struct sc_rtc *rtc, uint64_t now)
{
	if (rtc->raw_valid)
		return;
	format_time(rtc, guest_secs(rtc, now));
	rtc->raw_valid = true;
}

/* Make the time bytes the current time; the next update increments them. */
static void commit(struct sc_rtc *rtc, uint64_t now)
{
	set_offset(rtc, now, parse_time(rtc));
	rtc->raw_valid = true;
}

/* ------------------------------------------------------------------ flags */

static bool alarm_byte_matches(uint8_t alarm, uint8_t v)
{
	return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE || alarm == v;
}

/* Does any of the @n updates ending with guest time @last match the alarm?
 * ("Alarm": the three time bytes equal the alarm bytes or don't-care.) */
static bool alarm_hit(const struct sc_rtc *rtc, int64_t last, uint64_t n)
{
	const uint8_t *c = rtc->cmos;
	uint64_t span = n < (uint64_t)SECS_PER_DAY ? n : (uint64_t)SECS_PER_DAY;
	for (uint64_t j = 0; j < span; j++) {
		int64_t sod = floormod(last - (int64_t)j, SECS_PER_DAY);
		if (alarm_byte_matches(c[RTC_REG_SECONDS_ALARM], enc(rtc, sod % 60)) &&
		    alarm_byte_matches(c[RTC_REG_MINUTES_ALARM], enc(rtc, sod / 60 % 60)) &&
		    alarm_byte_matches(c[RTC_REG_HOURS_ALARM], enc_hour(rtc, sod / 3600)))
			return true;
	}
	return false;
}

/*
 * Account the boundaries in (sync_vt, now]: PF at every periodic edge
 * ("Periodic interrupt": PF is set even when PIE is 0), UF and AF at every
 * update while SET=0 ("Update cycle").
 */
static void rtc_sync(struct sc_rtc *rtc, uint64_t now)
{
	if (now <= rtc->sync_vt)
		return;
	uint8_t a = rtc->cmos[RTC_REG_A];
	if (dv_running(a)) {
		uint64_t c0 = osc_count(rtc, rtc->sync_vt), c1 = osc_count(rtc, now);
		uint64_t p = rate_counts(a);
		if (p && edges(c1, p) > edges(c0, p))
			rtc->cmos[RTC_REG_C] |= RTC_REG_C_PF;
		uint64_t n = edges(c1, UPD_PERIOD) - edges(c0, UPD_PERIOD);
		if (n && !(rtc->cmos[RTC_REG_B] & RTC_REG_B_SET)) {
			rtc->raw_valid = false;
			rtc->cmos[RTC_REG_C] |= RTC_REG_C_UF;
			if (alarm_hit(rtc, guest_secs(rtc, now), n))
				rtc->cmos[RTC_REG_C] |= RTC_REG_C_AF;
		}
	}
	rtc->sync_vt = now;
}

/* "IRQF": a flag of register C (@c) whose enable in register B (@b) is set. */
static bool irqf_of(uint8_t b, uint8_t c)
{
	return ((c & RTC_REG_C_PF) && (b & RTC_REG_B_PIE)) ||
	       ((c & RTC_REG_C_AF) && (b & RTC_REG_B_AIE)) ||
	       ((c & RTC_REG_C_UF) && (b & RTC_REG_B_UIE));
}

static bool irqf(const struct sc_rtc *rtc)
{
	return irqf_of(rtc->cmos[RTC_REG_B], rtc->cmos[RTC_REG_C]);
}

/* IRQ# is asserted while IRQF is set ("IRQF" in register C). */
static void irq_update(struct sc_rtc *rtc)
{
	bool level = irqf(rtc);
	if (level == rtc->irq_level)
		return;
	rtc->irq_level = level;
	sc_trace_emit(&rtc->trace, "rtc", "irq", 8, level);
	sc_line_set(&rtc->irq8, level);
}

/* ------------------------------------------------------- timers and ticks */

static bool update_timer_wanted(const struct sc_rtc *rtc)
{
	return updating(rtc) &&
	       (rtc->cmos[RTC_REG_B] & (RTC_REG_B_UIE | RTC_REG_B_AIE));
}

static uint64_t next_update(const struct sc_rtc *rtc, uint64_t now)
{
	uint64_t k = edges(osc_count(rtc, now), UPD_PERIOD);
	return osc_time(rtc, UPD_HALF + k * UPD_PERIOD);
}

static void update_timer_reconfigure(struct sc_rtc *rtc, uint64_t now)
{
	if (!update_timer_wanted(rtc)) {
		sc_timer_cancel(rtc->clock, &rtc->update_timer);
		return;
	}
	uint64_t d = next_update(rtc, now);
	if (!rtc->update_timer.armed || rtc->update_timer.deadline != d)
		sc_timer_arm(rtc->clock, &rtc->update_timer, d);
}

static void update_timer_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct sc_rtc *rtc = opaque;
	(void)timer;
	rtc_sync(rtc, now);
	irq_update(rtc);
	update_timer_reconfigure(rtc, now);
}

static bool periodic_wanted(const struct sc_rtc *rtc)
{
	return dv_running(rtc->cmos[RTC_REG_A]) && rate_counts(rtc->cmos[RTC_REG_A]) &&
	       (rtc->cmos[RTC_REG_B] & RTC_REG_B_PIE);
}

/*
 * Periods of the fast rates are not whole nanoseconds (1024 Hz: 976562.5
 * ns).  At each delivery the period after the tick's next boundary g is set
 * so that the boundary after it lands on the divider edge nearest to
 * g + period: the grid never drifts from PF, whatever the error g
 * accumulated while no tick was delivered (a guest that stops reading C
 * under the delay policy).
 */
static void tick_fix_grid(struct sc_rtc *rtc)
{
	struct sc_tick *t = &rtc->tick;
	uint64_t p = rate_counts(rtc->cmos[RTC_REG_A]);
	if (!t->running || !p || t->next_period >= UINT64_MAX / 2)
		return;
	uint64_t g = t->next_period;
	uint64_t want = g + rate_ns(rtc->cmos[RTC_REG_A]);
	uint64_t k = edges(osc_count(rtc, want), p);  /* edges at or before want */
	uint64_t target = osc_time(rtc, p / 2 + k * p);
	if (k) {
		uint64_t before = osc_time(rtc, p / 2 + (k - 1) * p);
		if (want - before <= target - want)
			target = before;
	}
	if (target > g && target - g != t->period)
		sc_tick_set_period(t, target - g);
}

static void tick_deliver(void *opaque, uint64_t now)
{
	struct sc_rtc *rtc = opaque;
	rtc_sync(rtc, now);
	rtc->cmos[RTC_REG_C] |= RTC_REG_C_PF;
	rtc->pf_delivered = true;
	tick_fix_grid(rtc);
	irq_update(rtc);
}

/* Start, restart (new rate) or stop the periodic tick after a change of A
 * or B. */
static void periodic_reconfigure(struct sc_rtc *rtc, uint64_t now, bool new_rate)
{
	struct sc_tick *t = &rtc->tick;
	if (!periodic_wanted(rtc)) {
		if (t->running)
			sc_tick_stop(t);
		rtc->pf_delivered = false;
		return;
	}
	if (t->running && !new_rate)
		return;
	uint8_t a = rtc->cmos[RTC_REG_A];
	uint64_t p = rate_counts(a);
	uint64_t first = osc_time(rtc, p / 2 + edges(osc_count(rtc, now), p) * p);
	sc_tick_start(t, first, rate_ns(a));
	rtc->pf_delivered = false;
}

/* --------------------------------------------------------------- registers */

static bool is_time_reg(unsigned idx)
{
	switch (idx) {
	case RTC_REG_SECONDS:
	case RTC_REG_MINUTES:
	case RTC_REG_HOURS:
	case RTC_REG_DAY_OF_WEEK:
	case RTC_REG_DAY_OF_MONTH:
	case RTC_REG_MONTH:
	case RTC_REG_YEAR:
	case RTC_REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t reg_read(struct sc_rtc *rtc, unsigned idx)
{
	uint64_t now = sc_clock_now(rtc->clock);

	if (is_time_reg(idx)) {
		rtc_sync(rtc, now);
		/* Stored bytes until the next update, then the running time. */
		if (!rtc->raw_valid)
			return time_byte(rtc, guest_secs(rtc, now), idx);
		return rtc->cmos[idx];
	}
	switch (idx) {
	case RTC_REG_A: {
		/* "UIP": 1 for tBUC = 244 us before each update. */
		uint8_t v = rtc->cmos[RTC_REG_A];
		if (updating(rtc)) {
			uint64_t ph = osc_count(rtc, now) % UPD_PERIOD;
			if (ph >= UPD_HALF - UIP_COUNTS && ph < UPD_HALF)
				v |= RTC_REG_A_UIP;
		}
		return v;
	}
	case RTC_REG_C: {
		/* "Register C": all flags are cleared by the read. */
		rtc_sync(rtc, now);
		uint8_t v = rtc->cmos[RTC_REG_C] | (irqf(rtc) ? RTC_REG_C_IRQF : 0);
		bool ack = rtc->pf_delivered;
		rtc->cmos[RTC_REG_C] = 0;
		rtc->pf_delivered = false;
		irq_update(rtc);
		if (ack)
			sc_tick_ack(&rtc->tick);
		return v;
	}
	case RTC_REG_D:
		return RTC_REG_D_VRT;
	default:
		return rtc->cmos[idx];
	}
}

static void write_reg_a(struct sc_rtc *rtc, uint64_t now, uint8_t val)
{
	uint8_t old = rtc->cmos[RTC_REG_A];
	uint8_t a = val & (uint8_t)~RTC_REG_A_UIP;       /* UIP is read-only */
	bool set = rtc->cmos[RTC_REG_B] & RTC_REG_B_SET;

	if (dv_running(old) && !dv_running(a) && !set)
		latch(rtc, now);
	rtc->cmos[RTC_REG_A] = a;
	if (!dv_running(old) && dv_running(a)) {
		/* "When the divider reset is removed the first update cycle
		 * begins one-half second later." */
		rtc->div_base = (int64_t)now;
		rtc->sync_vt = now;
		if (!set)
			commit(rtc, now);
	}
}

static void write_reg_b(struct sc_rtc *rtc, uint64_t now, uint8_t val)
{
	uint8_t old = rtc->cmos[RTC_REG_B];
	bool running = dv_running(rtc->cmos[RTC_REG_A]);

	if (!(old & RTC_REG_B_SET) && (val & RTC_REG_B_SET)) {
		/* "SET": updates stop; "UIE": the SET bit going high clears
		 * UIE.  UIP reads 0 from now on (updating() is false). */
		if (running)
			latch(rtc, now);
		val &= (uint8_t)~RTC_REG_B_UIE;
	}
	if (((old ^ val) & (RTC_REG_B_DM | RTC_REG_B_24H)) && running &&
	    !(old & RTC_REG_B_SET))
		latch(rtc, now);        /* bytes are not converted */
	rtc->cmos[RTC_REG_B] = val;
	if ((old & RTC_REG_B_SET) && !(val & RTC_REG_B_SET) && running)
		commit(rtc, now);
}

static void reg_write(struct sc_rtc *rtc, unsigned idx, uint8_t val)
{
	uint64_t now = sc_clock_now(rtc->clock);

	sc_trace_emit(&rtc->trace, "rtc", "write", idx, val);
	if (is_time_reg(idx)) {
		rtc_sync(rtc, now);
		if (updating(rtc)) {
			latch(rtc, now);
			rtc->cmos[idx] = val;
			commit(rtc, now);
		} else {
			rtc->cmos[idx] = val;
		}
		return;
	}
	switch (idx) {
	case RTC_REG_SECONDS_ALARM:
	case RTC_REG_MINUTES_ALARM:
	case RTC_REG_HOURS_ALARM:
		rtc_sync(rtc, now);     /* past updates saw the old alarm */
		rtc->cmos[idx] = val;
		return;
	case RTC_REG_A:
	case RTC_REG_B: {
		uint8_t old_a = rtc->cmos[RTC_REG_A];
		rtc_sync(rtc, now);
		if (idx == RTC_REG_A)
			write_reg_a(rtc, now, val);
		else
			write_reg_b(rtc, now, val);
		/* RS=1 and RS=8 (2 and 9) are one tap: not a new rate. */
		periodic_reconfigure(rtc, now,
				     rate_counts(old_a) != rate_counts(rtc->cmos[RTC_REG_A]));
		update_timer_reconfigure(rtc, now);
		irq_update(rtc);
		return;
	}
	case RTC_REG_C:
	case RTC_REG_D:
		return;                 /* read-only */
	default:
		rtc->cmos[idx] = val;
		return;
	}
}

/* ------------------------------------------------------------------- ports */

uint8_t sc_rtc_ioport_read(struct sc_rtc *rtc, uint16_t port)
{
	switch (port) {
	case SC_RTC_PORT_DATA:
		return reg_read(rtc, rtc->index);
	case SC_RTC_PORT_DATA2:
		if (rtc->bank2_enabled)
			return rtc->bank2[rtc->index2];
		return 0xff;
	default:
		return 0xff;            /* 0x70/0x72 are write-only */
	}
}

void sc_rtc_ioport_write(struct sc_rtc *rtc, uint16_t port, uint8_t val)
{
	switch (port) {
	case SC_RTC_PORT_INDEX:
		rtc->index = val & 0x7f;
		if (rtc->nmi_masked != !!(val & SC_RTC_PORT_NMI_MASK))
			sc_trace_emit(&rtc->trace, "rtc", "nmi_mask", 0, !!(val & 0x80));
		rtc->nmi_masked = val & SC_RTC_PORT_NMI_MASK;
		return;
	case SC_RTC_PORT_DATA:
		reg_write(rtc, rtc->index, val);
		return;
	case SC_RTC_PORT_INDEX2:
		if (rtc->bank2_enabled)
			rtc->index2 = val & 0x7f;
		return;
	case SC_RTC_PORT_DATA2:
		if (rtc->bank2_enabled)
			rtc->bank2[rtc->index2] = val;
		return;
	default:
		return;
	}
}

bool sc_rtc_nmi_masked(const struct sc_rtc *rtc)
{
	return rtc->nmi_masked;
}

/* ---------------------------------------------------------------- host API */

int sc_rtc_init(struct sc_rtc *rtc, struct sc_clock *clock,
		const struct sc_rtc_config *cfg, const struct sc_line *irq8,
		const struct sc_trace *trace)
{
	if (!rtc || !clock || !cfg || !cfg->wall_ns)
		return -EINVAL;
	if ((unsigned)cfg->policy > SC_TICK_MERGE || cfg->offset_s > CFG_OFF_LIMIT ||
	    cfg->offset_s < -CFG_OFF_LIMIT)
		return -EINVAL;
	memset(rtc, 0, sizeof(*rtc));
	rtc->clock = clock;
	if (irq8)
		rtc->irq8 = *irq8;
	if (trace)
		rtc->trace = *trace;
	rtc->wall_ns = cfg->wall_ns;
	rtc->wall_opaque = cfg->wall_opaque;
	rtc->bank2_enabled = cfg->bank2;
	rtc->cmos[RTC_REG_A] = SC_RTC_RESET_REG_A;
	rtc->cmos[RTC_REG_B] = SC_RTC_RESET_REG_B;
	rtc->cmos[RTC_REG_D] = RTC_REG_D_VRT;

	/* The battery kept the chain running: updates fall on the wall
	 * clock's second boundaries. */
	uint64_t now = sc_clock_now(clock);
	struct wall_split w = wall_now(rtc);
	rtc->div_base = (int64_t)now - w.ns - HALF_SEC_NS;
	rtc->sync_vt = now;
	int64_t secs = w.secs + cfg->offset_s;
	format_time(rtc, secs);
	set_offset(rtc, now, secs);
	rtc->raw_valid = true;

	sc_timer_init(&rtc->update_timer, update_timer_fn, rtc);
	sc_tick_init(&rtc->tick, clock, cfg->policy, tick_deliver, rtc);
	return 0;
}

void sc_rtc_destroy(struct sc_rtc *rtc)
{
	sc_timer_cancel(rtc->clock, &rtc->update_timer);
	sc_tick_stop(&rtc->tick);
}

/* RAM bytes the VMM may fill. */
static uint8_t *ram_byte(struct sc_rtc *rtc, unsigned index)
{
	if (index >= SC_RTC_CMOS_SIZE) {
		if (!rtc->bank2_enabled || index >= 2 * SC_RTC_CMOS_SIZE)
			return NULL;
		return &rtc->bank2[index - SC_RTC_CMOS_SIZE];
	}
	if (index <= RTC_REG_D || index == RTC_REG_CENTURY)
		return NULL;
	return &rtc->cmos[index];
}

int sc_rtc_cmos_set(struct sc_rtc *rtc, unsigned index, uint8_t val)
{
	uint8_t *p = rtc ? ram_byte(rtc, index) : NULL;
	if (!p)
		return -EINVAL;
	*p = val;
	return 0;
}

int sc_rtc_cmos_get(const struct sc_rtc *rtc, unsigned index, uint8_t *val)
{
	uint8_t *p = rtc ? ram_byte((struct sc_rtc *)rtc, index) : NULL;
	if (!p || !val)
		return -EINVAL;
	*val = *p;
	return 0;
}

int sc_rtc_set_policy(struct sc_rtc *rtc, enum sc_tick_policy policy)
{
	if (!rtc || (unsigned)policy > SC_TICK_MERGE)
		return -EINVAL;
	sc_tick_set_policy(&rtc->tick, policy);
	return 0;
}

struct sc_tick *sc_rtc_tick(struct sc_rtc *rtc)
{
	return &rtc->tick;
}

void sc_rtc_set_affinity(struct sc_rtc *rtc, int vcpu)
{
	sc_timer_set_affinity(rtc->clock, &rtc->update_timer, vcpu);
	sc_tick_set_affinity(&rtc->tick, vcpu);
}

/* ------------------------------------------------------------ save/restore */

void sc_rtc_save(const struct sc_rtc *rtc, struct sc_rtc_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = 1;
	s->index = rtc->index;
	s->index2 = rtc->index2;
	s->nmi_masked = rtc->nmi_masked;
	s->irq_level = rtc->irq_level;
	memcpy(s->cmos, rtc->cmos, sizeof(s->cmos));
	memcpy(s->bank2, rtc->bank2, sizeof(s->bank2));
	s->bank2_enabled = rtc->bank2_enabled;
	s->raw_valid = rtc->raw_valid;
	s->pf_delivered = rtc->pf_delivered;
	s->dow_adj = rtc->dow_adj;
	s->off_s = rtc->off_s;
	s->off_ns = rtc->off_ns;
	s->div_base = rtc->div_base;
	s->sync_vt = rtc->sync_vt;
	s->update_deadline = rtc->update_timer.armed ? rtc->update_timer.deadline : 0;
	sc_tick_save(&rtc->tick, &s->tick);
}

int sc_rtc_validate(const struct sc_rtc_state_v1 *s)
{
	if (!s || s->version != 1 || s->pad)
		return -EINVAL;
	if (s->index >= SC_RTC_CMOS_SIZE || s->index2 >= SC_RTC_CMOS_SIZE)
		return -EINVAL;
	if (s->nmi_masked > 1 || s->irq_level > 1 || s->bank2_enabled > 1 ||
	    s->raw_valid > 1 || s->pf_delivered > 1 || s->dow_adj >= 7)
		return -EINVAL;
	if (!s->bank2_enabled) {
		for (unsigned i = 0; i < SC_RTC_CMOS_SIZE; i++)
			if (s->bank2[i] || s->index2)
				return -EINVAL;
	}
	uint8_t a = s->cmos[RTC_REG_A], b = s->cmos[RTC_REG_B];
	if ((a & RTC_REG_A_UIP) || (s->cmos[RTC_REG_C] & (RTC_REG_C_IRQF | 0x0f)) ||
	    s->cmos[RTC_REG_D] != RTC_REG_D_VRT)
		return -EINVAL;
	/*
	 * IRQ8 is asserted only while IRQF is set.  (IRQF set with the line
	 * still low is legal: a flag accounted by a register read before the
	 * update timer or the tick that raises the line has run.)
	 */
	if (s->irq_level && !irqf_of(b, s->cmos[RTC_REG_C]))
		return -EINVAL;
	if (s->off_ns < 0 || s->off_ns >= NS_PER_SEC || s->off_s > OFF_S_LIMIT ||
	    s->off_s < -OFF_S_LIMIT || s->sync_vt > INT64_MAX ||
	    s->div_base > (int64_t)s->sync_vt || s->div_base < -2 * NS_PER_SEC)
		return -EINVAL;
	bool run = dv_running(a), upd = run && !(b & RTC_REG_B_SET);
	if (!upd && !s->raw_valid)
		return -EINVAL;
	if (s->update_deadline) {
		if (!upd || !(b & (RTC_REG_B_UIE | RTC_REG_B_AIE)) ||
		    s->update_deadline > INT64_MAX ||
		    floormod((int64_t)s->update_deadline - s->div_base - HALF_SEC_NS,
			     NS_PER_SEC))
			return -EINVAL;
	}
	bool periodic = run && rate_counts(a) && (b & RTC_REG_B_PIE);
	if (s->tick.running != periodic || (s->pf_delivered && !periodic))
		return -EINVAL;
	if (periodic) {
		/* The grid correction moves single periods by up to half. */
		uint64_t ideal = rate_ns(a);
		if (s->tick.period < ideal - ideal / 2 || s->tick.period > ideal + ideal / 2)
			return -EINVAL;
	}
	return sc_tick_validate(&s->tick);
}

int sc_rtc_restore(struct sc_rtc *rtc, const struct sc_rtc_state_v1 *s)
{
	if (!rtc || sc_rtc_validate(s) || s->bank2_enabled != rtc->bank2_enabled)
		return -EINVAL;
	sc_timer_cancel(rtc->clock, &rtc->update_timer);
	rtc->index = s->index;
	rtc->index2 = s->index2;
	rtc->nmi_masked = s->nmi_masked;
	memcpy(rtc->cmos, s->cmos, sizeof(rtc->cmos));
	memcpy(rtc->bank2, s->bank2, sizeof(rtc->bank2));
	rtc->raw_valid = s->raw_valid;
	rtc->pf_delivered = s->pf_delivered;
	rtc->dow_adj = s->dow_adj;
	rtc->off_s = s->off_s;
	rtc->off_ns = s->off_ns;
	rtc->div_base = s->div_base;
	rtc->sync_vt = s->sync_vt;
	sc_tick_restore(&rtc->tick, &s->tick);      /* validated above */
	if (s->update_deadline)
		sc_timer_arm(rtc->clock, &rtc->update_timer, s->update_deadline);
	else
		update_timer_reconfigure(rtc, sc_clock_now(rtc->clock));
	rtc->irq_level = s->irq_level;
	sc_line_set(&rtc->irq8, rtc->irq_level);
	return 0;
}
